"""One root error for everything audio-guide refuses to do.

Each subclass is also the matching builtin, so callers can catch either
(the mutagen convention). The CLI prints ``str(error)`` and exits 1; no
traceback is ever shown for these.
"""

from __future__ import annotations


class AudioGuideError(Exception):
    """Root of every error audio-guide raises on purpose."""


class ContentError(AudioGuideError, ValueError):
    """The guide's text or front matter is malformed.

    Rendered as ``file:line: what is wrong. how to fix it`` so that editors
    and their editors' tools can jump to the spot.
    """

    def __init__(self, path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class EngineError(AudioGuideError, RuntimeError):
    """A speech engine is missing, hung, crashed or produced no speech."""


class ToolError(AudioGuideError, RuntimeError):
    """An external tool (ffmpeg) is missing or failed."""


class ConfigError(AudioGuideError, ValueError):
    """A command-line option or setting has a value we cannot use."""


class ClusterError(AudioGuideError, RuntimeError):
    """The Dask cluster given with --cluster cannot be reached or used."""
