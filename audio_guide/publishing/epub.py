"""The read-along book: an EPUB 3 with media overlays (build --format epub).

One XHTML document per section, with every spoken line (the announcement,
the headings, each sentence) in an element of its own, and one SMIL overlay
per section that plays the section's published episode, clip by clip, while
the reading app highlights the line being read. For people who read with
difficulty, or whose concentration grief has taken, hearing the words while
seeing each one highlighted helps most; in a book it goes where a page does
not: into the reading app a person already uses, offline.

The audio is the episodes' MP3s, the same bytes as published (never encoded
twice), and the clip times are the engine's timings, the ones the
transcripts and chapters use. Each clip runs from its line's first word to
the next line's, so a reading app keeps the calm pauses between sentences.

The markup is in templates/ (book_*.xhtml, book.opf, book.smil), escaped as
the pages are (markup.py). The zip is reproducible: entries in a fixed
order, dated by the guide's own date, ``mimetype`` first and stored.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

from .. import durations
from .. import phrases as strings
from ..layout import COVER_FILE
from ..model import Edition, Episode
from . import markup, page, transcripts

MEDIA_TYPE = "application/epub+zip"
# The class reading apps give the element being read (media:active-class),
# named as the EPUB specification's examples name it: apps that ignore the
# metadata and assume this name highlight it too.
ACTIVE_CLASS = "-epub-media-overlay-active"
PACKAGE_DIR = "EPUB"  # the book's files, beside META-INF/
PACKAGE_FILE = "package.opf"
NAV_FILE = "nav.xhtml"
TITLE_FILE = "title.xhtml"
STYLE_FILE = "book.css"
CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles>
<rootfile full-path="{path}" media-type="application/oebps-package+xml"/>
</rootfiles>
</container>
"""
# What EPUB Accessibility 1.1 asks the package to say about the book.
ACCESS_MODES = ("textual", "auditory")
# The text alone is the whole guide; so is the audio, which speaks every word
# of it, headings included.
ACCESS_MODES_SUFFICIENT = ("textual", "auditory", "textual,auditory")
ACCESSIBILITY_FEATURES = ("synchronizedAudioText", "tableOfContents", "readingOrder", "structuralNavigation")
# The claim the book can make: its markup is headings, paragraphs and lists
# written from templates checked against WCAG 2.2 AA (axe-core) and EPUBCheck
# by the tests; there is no print edition whose pages it would have to mark.
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
# Who evaluated it: the tool whose tests check every book it writes, not the
# clinic, which has audited nothing (a claim in its name would be untrue).
CERTIFIER = "audio-guide (automated checks: EPUBCheck and axe-core)"


@dataclass(frozen=True)
class Spoken:
    """One line of a section as the book shows it and its overlay plays it."""

    id: str  # of its element in the section's document
    text: str
    role: str  # as model.Line: "announcement", "heading", "paragraph" or "item"
    block: int  # as model.Line, so transcripts.runs lays the lines out as the transcripts do
    start: int  # ms: the line's first word
    end: int  # ms: the next line's first word, or the end of the episode


@dataclass(frozen=True)
class Document:
    """A section's content document, its overlay and its audio, inside the book."""

    number: int
    title: str
    xhtml: str
    smil: str
    audio: str  # the episode's path in its guide's folder, and in the book
    lines: tuple[Spoken, ...]

    @property
    def duration_ms(self) -> int:
        """What its overlay plays: from the first line's first word to the episode's end."""
        return self.lines[-1].end - self.lines[0].start if self.lines else 0

    @property
    def chapters(self) -> list[Spoken]:
        return [line for line in self.lines if line.role == "heading"]


def _document(episode: Episode) -> Document:
    stem = PurePosixPath(episode.files.audio).stem
    shown = transcripts.as_written(episode)
    starts = [line.start for line in shown[1:]] + [episode.duration_ms]
    lines = tuple(Spoken(f"line-{n}", line.text, line.role, line.block, line.start, max(end, line.start + 1))
                  for n, (line, end) in enumerate(zip(shown, starts), start=1))
    return Document(episode.number, episode.section.title, f"{stem}.xhtml", f"{stem}.smil", episode.files.audio,
                    lines)


def documents(edition: Edition) -> list[Document]:
    """The book's sections, in reading order."""
    return [_document(episode) for episode in edition.episodes]


def _revised(edition: Edition) -> _dt.date:
    """The day the book was last revised, as its front matter says (a guide
    without a date has the one its first build recorded)."""
    guide = edition.guide
    return guide.updated or guide.published or _dt.date(2000, 1, 1)


def identifier(edition: Edition) -> str:
    """The book's lasting identity: from its guide's, as the episodes' guids are."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'audio-guide:{edition.guide.slug}/book')}"


def _context(edition: Edition) -> dict:
    lang = edition.guide.language
    return dict(**page.common(lang), guide=edition.guide, site=edition.site, logo=edition.logo,
                style_file=STYLE_FILE, nav_file=NAV_FILE, title_file=TITLE_FILE)


def render_section(edition: Edition, document: Document) -> str:
    return markup.render("book_section.xhtml", **_context(edition), document=document,
                         runs=transcripts.runs(document.lines))


def render_overlay(document: Document) -> str:
    return markup.render("book.smil", document=document, clock=durations.timestamp)


def render_nav(edition: Edition, sections: list[Document]) -> str:
    return markup.render("book_nav.xhtml", **_context(edition), sections=sections)


def render_title_page(edition: Edition) -> str:
    return markup.render("book_title.xhtml", **_context(edition))


def render_package(edition: Edition, sections: list[Document]) -> str:
    guide, site = edition.guide, edition.site
    # An informative picture (a logo with no name beside it) makes the book visual as well.
    modes = ACCESS_MODES + (("visual",) if edition.logo and not site.clinic_name else ())
    return markup.render(
        "book.opf", guide=guide, identifier=identifier(edition), modified=f"{_revised(edition).isoformat()}T00:00:00Z",
        publisher=site.clinic_name or guide.publisher, rights=[r for r in (guide.copyright, guide.license) if r],
        summary=strings.text(guide.language, "book_summary"), modes=modes, sufficient=ACCESS_MODES_SUFFICIENT,
        features=ACCESSIBILITY_FEATURES, conformance=CONFORMANCE, certifier=CERTIFIER,
        active_class=ACTIVE_CLASS, sections=sections,
        total_ms=sum(d.duration_ms for d in sections), clock=durations.timestamp, cover=COVER_FILE,
        logo=edition.logo, logo_type=_image_type(edition.logo) if edition.logo else None, style_file=STYLE_FILE,
        nav_file=NAV_FILE, title_file=TITLE_FILE)


def _image_type(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


def write_book(edition: Edition, published: Callable[[str], Path], target: Path) -> None:
    """Write ``edition``'s book at ``target``; ``published(relative)`` is
    where a file already written in the guide's folder is (the episodes, the
    cover, the logo), to be copied in unchanged."""
    sections = documents(edition)
    texts: list[tuple[str, str]] = [
        ("META-INF/container.xml", CONTAINER.format(path=f"{PACKAGE_DIR}/{PACKAGE_FILE}")),
        (PACKAGE_FILE, render_package(edition, sections)),
        (NAV_FILE, render_nav(edition, sections)),
        (TITLE_FILE, render_title_page(edition)),
        (STYLE_FILE, (markup.ASSETS / STYLE_FILE).read_text(encoding="utf-8")),
    ]
    for document in sections:
        texts += [(document.xhtml, render_section(edition, document)), (document.smil, render_overlay(document))]
    binaries = [COVER_FILE] + ([edition.logo] if edition.logo else []) + [d.audio for d in sections]
    revised = _revised(edition)
    when = (max(revised.year, 1980), revised.month, revised.day, 0, 0, 0)  # a zip cannot say earlier than 1980

    def entry(name: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=when)
        info.compress_type = compress
        info.create_system = 3  # the same on every system: a Unix file, readable by all
        info.external_attr = 0o644 << 16
        return info

    def inside(name: str) -> str:
        return name if name.startswith("META-INF/") else f"{PACKAGE_DIR}/{name}"

    with zipfile.ZipFile(target, "w") as book:
        # First and stored, so the type can be read at a fixed offset (OCF).
        book.writestr(entry("mimetype", zipfile.ZIP_STORED), MEDIA_TYPE)
        for name, text in texts:
            book.writestr(entry(inside(name), zipfile.ZIP_DEFLATED), text.encode("utf-8"))
        for name in binaries:  # already compressed: stored as they are
            with open(published(name), "rb") as source, book.open(entry(inside(name), zipfile.ZIP_STORED),
                                                                   "w", force_zip64=False) as out:
                shutil.copyfileobj(source, out)
