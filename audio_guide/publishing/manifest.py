"""A guide folder's checksum manifest, SHA256SUMS: one line per file, in the
format of ``sha256sum``, so a clinic can verify a copy with standard tools
(``sha256sum -c SHA256SUMS``) as well as with ``audio-guide check``."""

from __future__ import annotations

from pathlib import Path

from ..keys import file_sha256
from ..layout import MANIFEST_FILE


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.name != MANIFEST_FILE)


def render(digests: dict[str, str]) -> str:
    """The manifest of a folder's files, from {path in the folder: SHA-256}
    (the writer's, taken as it wrote them)."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests) if name != MANIFEST_FILE)


def verify(folder: Path) -> list[tuple[str, str]]:
    """(file, what is wrong) for every file that differs from the manifest,
    is missing, or is not in it; empty when the folder matches."""
    try:
        text = (folder / MANIFEST_FILE).read_text(encoding="utf-8")
    except OSError:
        return [(MANIFEST_FILE, "missing: the edition has no checksum manifest; rebuild it")]
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            return [(MANIFEST_FILE, f"line {number} is not '<sha256>  <file>': rebuild the edition")]
        listed[name] = digest
    problems = []
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            problems.append((name, f"missing, but {MANIFEST_FILE} lists it: publish the whole folder"))
        elif file_sha256(path) != digest:
            problems.append((name, f"differs from its checksum in {MANIFEST_FILE}: the file was changed or "
                                   "damaged after the build; rebuild, or copy the edition again"))
    for name in _files(folder):
        if name not in listed:
            problems.append((name, f"not in {MANIFEST_FILE}: it was added after the build; delete it"))
    return problems
