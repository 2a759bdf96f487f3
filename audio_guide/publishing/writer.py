"""The one writer of an output folder.

A build writes every file of every edition through a Writer: into a staging
folder beside the output folder (never inside it, where a web server or
``check`` would see a half-written edition), each path once (two outputs
with one name are a bug, refused at once), with its SHA-256 taken as it is
written, so the checksum manifest and the feed's sizes come from what was
written, never from files read back. ``publish`` flushes it all to disk and
switches each guide's folder in one step: a failed or killed build leaves
the previous edition in place. A file the published edition already holds,
still as it was written (record.py), with the bytes or from the inputs this
build would write it with, is hard-linked into the staging folder rather
than written again: linking adds a name, and never changes the published file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO, Iterator

from .. import system_calls as system
from ..errors import AudioGuideError
from ..keys import file_sha256
from .record import Made

_PREVIOUS = ".previous"


def check_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioGuideError(f"{out_dir}: cannot create the output folder ({exc.strerror}): "
                              "choose another with --out") from None


def staging_folder(out_dir: Path) -> Path:
    out_dir = out_dir.resolve()
    if out_dir.stat().st_dev != out_dir.parent.stat().st_dev:
        # The output folder is a mount of its own (a share, say): a rename
        # cannot leave it, so the staging folder must be inside, hidden.
        return out_dir / ".audio-guide-staging"
    return out_dir.parent / f".{out_dir.name}.staging"


class Writer:
    """Files of one build, staged; see the module's docstring."""

    def __init__(self, out_dir: Path, staging: Path):
        self.out_dir, self.staging = out_dir, staging
        self.digests: dict[str, str] = {}  # relative path -> SHA-256 of what was written
        self.sizes: dict[str, int] = {}
        self._published: set[str] = set()  # files left as they are: they hold what this build would write
        # Files of the published edition still as they were written (record.py),
        # by path: one this build would write again is linked instead.
        self._previous: dict[str, Made] = {}
        self._keys: dict[str, str] = {}  # path -> key of what the file was made from, where given

    @classmethod
    @contextlib.contextmanager
    def open(cls, out_dir: Path) -> Iterator["Writer"]:
        """Hold ``out_dir`` for one build (a second build into it stops at
        once), undo what an interrupted build left, and give the staging
        folder back whatever happens. An OSError becomes an error that says
        the previous edition is intact."""
        check_out_dir(out_dir)
        with system.locked(out_dir) as mine:
            if not mine:
                raise AudioGuideError(f"{out_dir}: another build is writing this folder right now: wait for it "
                                      "to finish, or build into another folder with --out")
            staging = staging_folder(out_dir)
            _recover(out_dir, staging)
            try:
                yield cls(out_dir, staging)
            except OSError as exc:
                where = exc.filename or staging
                if Path(where).is_relative_to(staging) or exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise AudioGuideError(f"{where}: cannot write the edition ({exc.strerror}): free some space, "
                                          f"or choose another folder with --out; {out_dir} still holds the "
                                          "previous edition") from None
                raise AudioGuideError(f"{where}: {exc.strerror}: check that the file is there and readable; "
                                      f"{out_dir} still holds the previous edition") from None
            finally:
                shutil.rmtree(staging, ignore_errors=True)

    def _claim(self, relative: str) -> Path:
        if relative in self.sizes:  # claimed: written, or being written
            raise AudioGuideError(f"{relative}: two outputs of this build have the same name")
        self.sizes[relative] = 0
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, relative: str, data: bytes | str, key: str | None = None) -> int:
        """Write ``data`` (text as UTF-8) at ``relative``; its size. ``key``
        names what the file was made from, for ``reuse`` by a later build."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        path = self._claim(relative)
        known = self._previous.get(relative)
        if not (known and known.sha256 == digest and self._link(relative, path)):
            path.write_bytes(data)
        self.digests[relative], self.sizes[relative] = digest, len(data)
        if key:
            self._keys[relative] = key
        return len(data)

    def reuse(self, relatives: list[str], key: str) -> bool:
        """Take the published files at ``relatives`` into this build as they
        are, if all were made from ``key`` and are still as written; else
        take none (and say so), to be written afresh with that key."""
        known = [self._previous.get(relative) for relative in relatives]
        if not all(made and made.key == key for made in known):
            return False
        for relative, made in zip(relatives, known):
            path = self._claim(relative)
            if not self._link(relative, path):
                shutil.copyfile(self.out_dir / relative, path)
            self.digests[relative], self.sizes[relative], self._keys[relative] = made.sha256, made.size, key
        return True

    def _link(self, relative: str, path: Path) -> bool:
        """The published file at ``relative``, hard-linked at ``path``: the
        same bytes, not written again (the old edition's name for it goes
        when the switch removes that edition)."""
        try:
            os.link(self.out_dir / relative, path)
            return True
        except OSError:  # a file system without hard links, say: write it
            return False

    def write_unless_published(self, relative: str, data: bytes | str) -> None:
        """Write ``data`` at ``relative`` unless the output folder holds it
        there already, in which case ``publish`` leaves that file in place."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            if (self.out_dir / relative).read_bytes() == data:
                self._published.add(relative)
                return
        except OSError:
            pass
        self.write(relative, data)

    @contextlib.contextmanager
    def stream(self, relative: str) -> Iterator[BinaryIO]:
        """A file at ``relative`` written piece by piece (a long guide's full
        edition is never held in memory whole), hashed as it goes."""
        path = self._claim(relative)
        digest, size = hashlib.sha256(), 0
        with open(path, "wb") as f:
            class _Hashing:
                def write(self, data: bytes) -> int:
                    nonlocal size
                    digest.update(data)
                    size += len(data)
                    return f.write(data)

            yield _Hashing()
        self.digests[relative], self.sizes[relative] = digest.hexdigest(), size

    @contextlib.contextmanager
    def by_tool(self, relative: str) -> Iterator[Path]:
        """The path a tool that writes its own file (ffmpeg's muxer) is to
        write ``relative`` at; recorded once the tool is done."""
        path = self._claim(relative)
        yield path
        self.digests[relative], self.sizes[relative] = file_sha256(path), path.stat().st_size

    def staged(self, relative: str) -> Path:
        """Where a file this build has written is, until it is published: for
        a file made of others (the book holds the episodes), read back as
        written."""
        if relative not in self.digests:
            raise AudioGuideError(f"{relative}: read before this build wrote it")
        return self.staging / relative

    def scratch(self, name: str) -> Path:
        """A temporary file in the staging folder, never published."""
        return self.staging / f".{name}"

    def may_link(self, folder: str, published: dict[str, Made]) -> None:
        """Let this build take files of ``folder`` as published (``published``:
        those still as written, by path in the folder) where it would write
        the same again."""
        self._previous.update({f"{folder}/{name}": made for name, made in published.items()})

    def made_in(self, folder: str) -> dict[str, tuple[str, str | None]]:
        """{path relative to ``folder``: (SHA-256, key of what it was made
        from, if given)} of what this build wrote in it."""
        written = self.written_in(folder)
        return {name: (digest, self._keys.get(f"{folder}/{name}")) for name, digest in written.items()}

    def written_in(self, folder: str) -> dict[str, str]:
        """{path relative to ``folder``: SHA-256} of what was written in it."""
        prefix = folder.rstrip("/") + "/"
        return {name[len(prefix):]: digest for name, digest in self.digests.items() if name.startswith(prefix)}

    def publish(self, folders: list[str], top_level: list[str], before_switch=lambda: None) -> None:
        """Flush everything to disk, call ``before_switch`` (to record what
        must be on record before anything is public), then switch each of
        ``folders`` into the output folder in one step each, and put the
        ``top_level`` files in place (removing those this build did not
        write)."""
        if self.digests:  # else every guide was left as published
            system.fsync_tree(self.staging)
        before_switch()
        for folder in folders:
            _switch(self.staging / folder, self.out_dir / folder)
        for name in top_level:
            if name in self.digests:
                os.replace(self.staging / name, self.out_dir / name)
            elif name not in self._published:  # one guide: its own page is the way in
                (self.out_dir / name).unlink(missing_ok=True)


def _recover(out_dir: Path, staging: Path) -> None:
    """Undo what an interrupted build left: where the switch is two renames
    (not Linux), put back an edition that was moved aside; then clear the
    staging folder."""
    if staging.is_dir():
        for previous in staging.glob(f"*{_PREVIOUS}"):
            final = out_dir / previous.name[:-len(_PREVIOUS)]
            if not final.exists():
                previous.rename(final)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
    except OSError as exc:
        raise AudioGuideError(f"{staging}: cannot create the staging folder beside the output folder "
                              f"({exc.strerror}): choose an output folder whose parent you can write to") from None


def _switch(new: Path, final: Path) -> None:
    """Put the edition in ``new`` at ``final`` in one atomic step where the
    system can (readers see the old edition or the new one, never neither);
    elsewhere in two renames, which ``_recover`` completes if a build is
    killed between them."""
    if final.exists() and system.exchange(new, final):
        return  # the old edition is now in the staging folder, which goes next
    if final.exists():
        final.rename(new.with_name(new.name + _PREVIOUS))
    new.rename(final)
