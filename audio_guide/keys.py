"""Cache keys and file digests: one recipe for every cache key.

A key is the SHA-256 of canonical JSON (sorted keys) over what changes the
cached bytes, library versions included: never ``repr()`` of
objects, whose text changes with things that change no output (a folder's
path) and misses things that do.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def plain(value):
    """``value`` (plain values, lists, dicts and data classes, nested) as JSON's
    values; a date or time as its ISO text (str gives it)."""
    kind = type(value)
    if kind in (str, int, float, bool, type(None)):
        return value
    if kind in (list, tuple):
        return [plain(v) for v in value]
    fields = getattr(kind, "__dataclass_fields__", None)
    if fields is not None:
        return {name: plain(getattr(value, name)) for name in fields}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        raise TypeError(f"a path ({value}) does not belong in a cache key: key the file's bytes or its digest")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # dates and the like: their ISO text


def cache_key(value) -> str:
    """The key of a cache entry made from ``value`` (plain values, lists,
    dicts and data classes, nested)."""
    return hashlib.sha256(json.dumps(plain(value), sort_keys=True).encode()).hexdigest()


def library_version(name: str) -> str:
    """An installed distribution's version, for keys of what it renders."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


@functools.cache
def code_identity() -> str:
    """The SHA-256 of audio_guide's own files (code, templates, fonts): a
    published file depends on the code that wrote it as much as on its inputs."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"{path.relative_to(root).as_posix()}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
