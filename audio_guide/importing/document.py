"""What every format's reader hands on: the document's body as plain parts in
reading order, what its properties say, and what the editor must hear about.

Readers never decide the guide's shape (which heading is the title, which
level is a section); writer.py does, the same way for every format.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, ContentError

# A patient leaflet, pictures included, is a few megabytes; anything this
# large is not one, and reading it would only fill memory.
MAX_BYTES = 100 * 1024 * 1024
INSTALL = "pip install 'audio-guide[import]'"

# Invisible characters the reader refuses (tabs and breaks become spaces).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


@dataclass(frozen=True)
class Part:
    """One piece of the body, in reading order.

    kind: "heading", "paragraph" or "item". A heading's level is the
    document's own: 0 the title (Word's Title style, HTML's h1), 1 a section
    (Heading 1, h2), 2 a chapter (Heading 2, h3), 3 and deeper below that.
    """

    kind: str
    text: str
    level: int = 0
    numbered: bool = False  # an item of a numbered list
    where: str = ""  # for messages: "paragraph 12", "page 2"
    new_section: bool = False  # plain text: a paragraph set apart by two blank lines (the closing)


@dataclass
class Document:
    source: Path
    parts: list[Part] = field(default_factory=list)
    title: str | None = None  # from the properties, not the body
    title_source: str = "the document's properties"
    subtitle: str | None = None
    author: str | None = None
    language: str | None = None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    published: _dt.date | None = None
    updated: _dt.date | None = None
    images: list[tuple[str, str]] = field(default_factory=list)  # (where, alt text or "")
    notes: list[str] = field(default_factory=list)  # what the editor should know about the import
    guesses: list[str] = field(default_factory=list)  # what the reader guessed
    markdown: str | None = None  # a Markdown body passed through as written (Markdown input)


def refuse(path: Path, message: str) -> ContentError:
    return ContentError(path, None, message)


def clean(text: str) -> str:
    """Text as the reader accepts it: one line, no invisible characters, no soft hyphens."""
    text = text.replace("\u00ad", "")
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", text)).strip()


def read_bytes(path: Path) -> bytes:
    """The file's bytes, after the checks every format shares."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise refuse(path, "no such file: check the name and folder") from None
    except OSError as exc:
        raise refuse(path, f"cannot be read ({exc.strerror}): check the name and its permissions") from None
    if path.is_dir():
        raise refuse(path, "is a folder: give the document itself")
    if size == 0:
        raise refuse(path, "the file is empty: export the leaflet again, or give the right file")
    if size > MAX_BYTES:
        raise refuse(path, f"the file is {size / 2**20:,.0f} MB, over the limit of {MAX_BYTES // 2**20} MB for a "
                     "leaflet: give the leaflet alone, or save it with smaller pictures")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise refuse(path, f"cannot be read ({exc.strerror}): check its permissions") from None


def need(module: str, package: str, what: str):
    """Import one of the [import] extra's libraries, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"importing {what} needs {package}, which is not installed: {INSTALL}") from None


def to_date(value) -> _dt.date | None:
    """A date from a property (a datetime, or text that starts with YYYY-MM-DD)."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        match = re.match(r"\D*(\d{4})-?(\d{2})-?(\d{2})", value)
        if match:
            try:
                return _dt.date(*map(int, match.groups()))
            except ValueError:
                return None
    return None


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def to_language(value) -> str | None:
    """A language tag the reader accepts (en_GB is written en-GB), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip().replace("_", "-")
    return value if _LANGUAGE.match(value) else None
