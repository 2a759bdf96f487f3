"""What the operating system offers that the standard library does not wrap
in one call: an atomic exchange of two folders, children that die with their
parent, and a lock that dies with its holder. Each degrades to a plain
fallback where the system lacks it."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import signal
import sys
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_PR_SET_PDEATHSIG = 1


@functools.cache
def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # no C library to ask (Windows)
        return None


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2); False
    where the system or file system cannot, and nothing was changed."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # an old kernel, or a file system without it
        return False
    raise OSError(code, os.strerror(code), str(b))


def fresh_python(module: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run ``module`` in a new interpreter
    with this process's import path (not the working folder's, which
    ``python -m`` would put first): the same audio-guide code as the caller."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), PYTHONSAFEPATH="1")
    return [sys.executable, "-m", module, *args], env


def die_with_parent(parent_pid: int) -> None:
    """In a child process: be killed when the parent dies, however it dies
    (SIGKILL included), so no orphan keeps speaking or encoding. Linux only;
    elsewhere the child finishes its section and exits."""
    if sys.platform.startswith("linux") and _libc() is not None:
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent_pid:  # the parent died before we asked
            os._exit(1)


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder`` to disk, so that a power cut after
    a rename cannot leave a published name pointing at unwritten data: on
    Linux in one call for the whole file system (syncfs), elsewhere file by
    file."""
    syncfs = getattr(_libc(), "syncfs", None)
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def locked(folder: Path):
    """Hold ``folder`` for one build: True while held, False if another
    process holds it. The lock goes with its process, however it ends, so a
    killed build never leaves a stale one. Where there is no flock (Windows),
    always True."""
    try:
        import fcntl
    except ImportError:
        yield True
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
