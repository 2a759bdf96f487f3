"""audio-guide: turn a written guide into an accessible, chaptered audio edition."""

from .build import BuildOptions, BuildResult, build
from .errors import AudioGuideError, ContentError

__version__ = "0.1.0"
__all__ = ["AudioGuideError", "BuildOptions", "BuildResult", "ContentError", "build"]
