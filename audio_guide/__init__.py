"""audio-guide: turn a written guide into an accessible, chaptered audio edition.

The public surface is ``build`` with its ``BuildOptions`` and ``BuildResult``,
and the errors. It is loaded on first use, so that the small engine process
(speaking/isolation.py) starts without the audio stack.
"""

from .errors import AudioGuideError, ContentError

__version__ = "0.1.0"
__all__ = ["AudioGuideError", "BuildOptions", "BuildResult", "ContentError", "build"]


def __getattr__(name):
    if name in ("BuildOptions", "BuildResult", "build"):
        from . import builder

        return getattr(builder, name)
    raise AttributeError(name)
