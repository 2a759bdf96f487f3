"""What check finds: a problem names a file and says what is wrong and how to
fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Problem:
    path: str  # relative to the output folder, "/"-separated
    message: str  # what is wrong and how to fix it


# How the checks of one guide folder report: (file relative to the guide
# folder, or "" for the folder itself; message). The folder check names it
# relative to the output folder.
Report = Callable[[str, str], None]
