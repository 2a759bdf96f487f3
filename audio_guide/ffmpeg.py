"""The one external program we run: ffmpeg.

It comes embedded in the ``imageio-ffmpeg`` wheel; ``AUDIO_GUIDE_FFMPEG``
points at another build (a system install, say).
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import tempfile

from .errors import ToolError


@functools.lru_cache(maxsize=None)
def ffmpeg() -> str:
    chosen = os.environ.get("AUDIO_GUIDE_FFMPEG")
    if chosen:
        return chosen
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ToolError("ffmpeg is not available: run 'pip install imageio-ffmpeg', or set "
                        "AUDIO_GUIDE_FFMPEG to an ffmpeg program") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.lru_cache(maxsize=None)
def ffmpeg_version() -> str:
    return run_ffmpeg(["-version"]).stdout.decode(errors="replace").splitlines()[0]


def run_ffmpeg(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """Run ffmpeg quietly; a failure becomes a ToolError carrying its own words.

    Its input goes through a file in memory, not a pipe: a pipe is fed by
    this process 4 KB at a time, and where another thread holds the
    interpreter (the next section being mastered) ffmpeg would wait for each
    piece. Its output comes through a pipe, which also ends it when this
    process is killed: its next write fails."""
    command = [ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    with _in_memory(stdin) as given:
        try:
            done = subprocess.run(command, stdin=given if given else subprocess.DEVNULL, capture_output=True)
        except OSError as exc:
            raise ToolError(f"cannot run ffmpeg ({command[0]}): {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise ToolError(f"ffmpeg failed: {detail[-1] if detail else 'exit ' + str(done.returncode)}")
    return done


def _in_memory(data: bytes | None):
    """An anonymous file holding ``data`` (None: no file), read from its
    start; in memory where the system offers it (Linux), else a temporary file."""
    if data is None:
        return contextlib.nullcontext()
    if hasattr(os, "memfd_create"):
        f = open(os.memfd_create("audio-guide-ffmpeg", os.MFD_CLOEXEC), "w+b")
    else:
        f = tempfile.TemporaryFile()
    f.write(data)
    f.seek(0)
    return f
