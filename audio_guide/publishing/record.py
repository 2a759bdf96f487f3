"""What each published guide folder was made from, so that a build whose
inputs are all unchanged leaves the folder alone.

Once a guide's folder is switched in, the build records, in the cache folder:
the fingerprint of everything the folder was made from (edition.fingerprint),
the size, modification time and inode of every file in it as published, the
edition itself as plain data, and the cache entries it was made from (which
``cache prune`` keeps). A later build whose fingerprint for the guide is the
same, and which finds every file as recorded (none added, removed, replaced
or edited since), takes the recorded edition and writes nothing: no staging,
tagging, joining or checksumming. Anything else (another input, a touched
file, a record that cannot be read) builds the guide again; even then, each
file still as recorded, whose SHA-256 or whose inputs' key is what the build
would write, is linked into the new edition rather than written again (an
edit to one section rewrites that episode, the full edition and the pages
that list them). A record can save work, never change what is published.

Records live beside the cache rather than in the output folder, which is
published as it is: one JSON file per output folder and guide.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..keys import plain
from ..model import Edition, from_plain
from ..speaking.workers import Cache

FOLDER = "published"


@dataclass(frozen=True)
class Made:
    """A published file as recorded."""

    size: int
    sha256: str
    key: str | None  # what it was made from, when its writer gave a key


def _path(cache_root: Path, folder: Path) -> Path:
    name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()
    return Path(cache_root) / FOLDER / f"{name}.json"


def _files(folder: Path) -> dict[str, list[int]]:
    """Every file under ``folder`` (relative path: [size, mtime in ns, inode])."""
    found = {}
    pending = [folder]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                else:
                    stat = entry.stat(follow_symlinks=False)
                    found[Path(entry.path).relative_to(folder).as_posix()] = [
                        stat.st_size, stat.st_mtime_ns, stat.st_ino]
    return found


def save(cache_root: Path, folder: Path, inputs: str, edition: Edition, keys: set[str],
         made: dict[str, tuple[str, str | None]]) -> None:
    """Record ``folder`` as just published from ``inputs``, made from the
    cache entries ``keys``; ``made`` holds each file's SHA-256 and the key of
    what it was made from, where the writer knew one."""
    path = _path(cache_root, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = dict(folder=str(folder.resolve()), inputs=inputs, files=_files(folder), made=made, keys=sorted(keys),
                  edition=plain(edition))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, path)  # a record torn by a power cut fails to parse, and is merely rebuilt


@dataclass(frozen=True)
class Previous:
    """A guide folder's record, read once for both questions a build asks
    of it. Each answer looks at the folder as it is when asked."""

    folder: Path
    record: dict  # empty when there is none, or it cannot be read

    def unchanged(self, inputs: str) -> Edition | None:
        """The edition published in the folder if it was made from ``inputs``
        and every file in it is as that build left it; else None."""
        try:
            if self.record["inputs"] != inputs or self.record["files"] != _files(self.folder):
                return None
            return from_plain(Edition, self.record["edition"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def intact(self) -> dict[str, Made]:
        """The files of the folder still as recorded (the rest were touched
        since, or never recorded), with their size, SHA-256 and key: what a
        build may take as they are rather than write again."""
        try:
            recorded, made = self.record["files"], self.record["made"]
            return {name: Made(stat[0], *made[name]) for name, stat in _files(self.folder).items()
                    if recorded.get(name) == stat and name in made}
        except (OSError, ValueError, KeyError, TypeError):
            return {}


def read(cache_root: Path, folder: Path) -> Previous:
    """What the last build recorded of the guide folder ``folder``."""
    try:
        record = json.loads(_path(cache_root, folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    return Previous(folder, record if isinstance(record, dict) else {})


@dataclass(frozen=True)
class Pruned:
    editions: int  # published editions whose cache entries were kept
    removed: int  # files
    removed_bytes: int
    kept: int
    kept_bytes: int


def prune(cache_root: Path, dry_run: bool = False) -> Pruned:
    """Remove every cache entry that no published edition was made from: the
    entries recorded for each guide folder that still exists are kept, the
    rest (old versions of edited sentences and sections, other voices and
    rates, editions since deleted, a build's leftovers) go, with the records
    of folders that are gone."""
    keep: set[str] = set()
    editions = 0
    for path in sorted((Path(cache_root) / FOLDER).glob("*")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            alive = Path(entry["folder"]).is_dir()
            if alive:
                keep.update(entry["keys"])
                editions += 1
        except (OSError, ValueError, KeyError, TypeError):
            alive = False
        if not alive and not dry_run:
            path.unlink(missing_ok=True)
    removed = removed_bytes = kept = kept_bytes = 0
    for key, path in Cache(cache_root).files():
        size = path.stat().st_size
        if key in keep:
            kept, kept_bytes = kept + 1, kept_bytes + size
            continue
        removed, removed_bytes = removed + 1, removed_bytes + size
        if not dry_run:
            path.unlink(missing_ok=True)
    if not dry_run:
        for folder in Path(cache_root).glob("??"):
            with contextlib.suppress(OSError):  # only those now empty
                folder.rmdir()
    return Pruned(editions, removed, removed_bytes, kept, kept_bytes)
