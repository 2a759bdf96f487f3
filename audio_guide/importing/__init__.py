"""Import the documents clinics already have (Word, web page, PDF, plain text,
Markdown) as content/<name>/guide.md.

Every document is read and its guide checked before anything is written, so
a refused document leaves the content folder as it was. The libraries each
format needs (the [import] extra) are imported only when that format is.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, ContentError
from ..reading.guides import GUIDE_FILE
from .writer import Plan, plan

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_OTHER = {".doc": "save it in Word as a .docx document", ".odt": "save it as a Word document (.docx)",
          ".rtf": "save it as a Word document (.docx)", ".mhtml": "save the page as HTML only",
          ".pages": "export it as a Word document (.docx)"}


@dataclass(frozen=True)
class Imported:
    source: Path
    guide: Path  # the guide.md written
    plan: Plan


def _read(path: Path):
    suffix = path.suffix.lower()
    if suffix == ".docx":
        from .word import read_word as reader
    elif suffix in (".html", ".htm"):
        from .web import read_web as reader
    elif suffix == ".pdf":
        from .pdf import read_pdf as reader
    elif suffix == ".txt":
        from .text import read_text as reader
    elif suffix in (".md", ".markdown"):
        from .text import read_markdown as reader
    else:
        how = _OTHER.get(suffix, "save it as one of those")
        raise ContentError(path, None, f"'{suffix or 'no extension'}' is not a kind of document audio-guide "
                           f"imports (.docx, .html, .pdf, .txt, .md): {how}, then import that")
    return reader(path)


def _write(target: Path, text: str) -> None:
    """Write guide.md whole or not at all: a reader never sees half a guide."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".guide.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def import_guides(files: list[Path], content_dir: Path, name: str | None = None,
                  force: bool = False) -> list[Imported]:
    """Read every file, then write each one's guide; nothing is written if any is refused."""
    if name is not None and not _NAME.match(name):
        raise ConfigError(f"--name '{name}': a guide's name must be lower-case letters and digits joined by "
                          "hyphens, for example after-care")
    if name is not None and len(files) > 1:
        raise ConfigError("--name names one guide: import one file at a time with it, or leave it out and each "
                          "guide is named from its title")
    if content_dir.exists() and not content_dir.is_dir():
        raise ConfigError(f"{content_dir}: is not a folder: give --content the folder that holds the guides")
    plans = [(path, plan(_read(path), name)) for path in files]
    targets: dict[Path, Path] = {}
    for path, made in plans:
        target = content_dir / made.name / GUIDE_FILE
        if target in targets:
            raise ConfigError(f"{path}: its guide would be {target}, as {targets[target]}'s is: import them one "
                              "at a time with --name")
        if target.exists() and not force:
            raise ConfigError(f"{target}: a guide is already there: pass --force to replace it, or --name to "
                              "import under another name")
        targets[target] = path
    done = []
    for (path, made), target in zip(plans, targets):
        try:
            _write(target, made.text)
        except OSError as exc:
            raise ConfigError(f"{target}: cannot write the guide ({exc.strerror}): check the folder, or choose "
                              "another with --content") from None
        done.append(Imported(path, target, made))
    return done
