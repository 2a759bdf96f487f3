"""The one external program we run: ffmpeg.

It comes embedded in the ``imageio-ffmpeg`` wheel; ``AUDIO_GUIDE_FFMPEG``
points at another build (a system install, say).
"""

from __future__ import annotations

import functools
import os
import subprocess

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
    """Run ffmpeg quietly; a failure becomes a ToolError carrying its own words."""
    command = [ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True)
    except OSError as exc:
        raise ToolError(f"cannot run ffmpeg ({command[0]}): {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise ToolError(f"ffmpeg failed: {detail[-1] if detail else 'exit ' + str(done.returncode)}")
    return done
