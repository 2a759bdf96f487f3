"""The read-along book (the EPUB a build writes with --format epub), opened as
a reading app opens it: from its container to its package, and from every
media overlay to the text it highlights and the audio it plays.

Every clip must lie inside its audio, in time order, and point at an element
that is there; the audio must be the published episode, byte for byte; and,
given the guide, the overlays' text must hold every sentence of each section,
in order. Read with the standard library from the zip itself, never from what
the build meant to write; EPUBCheck, which judges the rest of the format, is
the tests' instrument.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from urllib.parse import unquote

from ..durations import in_seconds
from .media import END_TOLERANCE_MS, mp3_duration
from .problems import Report
from .transcripts import single_spaced, unheard

MEDIA_TYPE = "application/epub+zip"
NS = {
    "container": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "smil": "http://www.w3.org/ns/SMIL",
}
_FULL_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d+))?")
_TIMECOUNT = re.compile(r"(\d+(?:\.\d+)?)(h|min|s|ms)?")
_UNIT_MS = {"h": 3_600_000, "min": 60_000, "s": 1000, "ms": 1, None: 1000}


def clock_ms(value: str) -> int | None:
    """A SMIL clock value (00:01:02.5, 01:02.5, 62.5s, 62500ms) in ms; None
    when it is not one."""
    value = value.strip()
    match = _FULL_CLOCK.fullmatch(value)
    if match:
        hours, minutes, seconds, fraction = match.groups()
        millis = int((fraction or "0")[:3].ljust(3, "0"))
        return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis
    match = _TIMECOUNT.fullmatch(value)
    if match:
        return round(float(match[1]) * _UNIT_MS[match[2]])
    return None


class _Bad(Exception):
    """What makes the book unreadable from here on."""


class BookCheck:
    """One book in a guide folder; ``run`` reports through ``report`` and
    returns the text of each overlay (its sentences, in order)."""

    def __init__(self, folder: Path, relative: str, report: Report):
        self.folder, self.relative, self.report = folder, relative, report
        self.texts: dict[str, dict[str, str] | None] = {}  # document -> {id: text} of its elements
        self.durations: dict[str, int | None] = {}  # audio -> its ms
        self.package_dir = ""

    def problem(self, message: str) -> None:
        # The book is written whole from the guide and its episodes: nothing in it is mended by hand.
        self.report(self.relative, f"{message}: rebuild the edition")

    def run(self) -> list[list[str]]:
        try:
            with zipfile.ZipFile(self.folder / self.relative) as book:
                self.book = book
                return self._overlays()
        except (zipfile.BadZipFile, OSError) as exc:
            self.problem(f"not a readable EPUB ({exc})")
        except _Bad as exc:
            self.problem(str(exc))
        return []

    def _xml(self, name: str) -> ET.Element:
        try:
            return ET.fromstring(self.book.read(name))
        except KeyError:
            raise _Bad(f"{name} is missing") from None
        except ET.ParseError as exc:
            raise _Bad(f"{name} is not well-formed XML ({exc})") from None

    def _overlays(self) -> list[list[str]]:
        first = self.book.infolist()[0] if self.book.infolist() else None
        if first is None or first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED \
                or self.book.read(first) != MEDIA_TYPE.encode():
            raise _Bad(f"the first entry must be 'mimetype', stored uncompressed, holding {MEDIA_TYPE}")
        rootfile = self._xml("META-INF/container.xml").find(".//container:rootfile", NS)
        if rootfile is None or not rootfile.get("full-path"):
            raise _Bad("META-INF/container.xml names no package document")
        package_name = rootfile.get("full-path")
        package = self._xml(package_name)
        base = self.package_dir = posixpath.dirname(package_name)
        items = {item.get("id"): item for item in package.iterfind("opf:manifest/opf:item", NS)}
        texts = []
        for itemref in package.iterfind("opf:spine/opf:itemref", NS):
            item = items.get(itemref.get("idref"))
            if item is None:
                raise _Bad(f"{package_name}: the spine names {itemref.get('idref')!r}, which the manifest lacks")
            overlay = items.get(item.get("media-overlay")) if item.get("media-overlay") else None
            if overlay is not None:
                texts.append(self._overlay(_resolve(base, overlay.get("href", ""))))
        return texts

    def _overlay(self, name: str) -> list[str]:
        """The text of every clip of the overlay ``name``, in order."""
        base, spoken = posixpath.dirname(name), []
        previous: dict[str, int] = {}
        for number, par in enumerate(self._xml(name).iter(f"{{{NS['smil']}}}par"), start=1):
            where = f"{name}: par {number}{' (' + par.get('id') + ')' if par.get('id') else ''}"
            text, audio = par.find("smil:text", NS), par.find("smil:audio", NS)
            if text is None or audio is None:
                self.problem(f"{where} lacks its text or its audio")
                continue
            spoken.append(self._target(where, _resolve(base, text.get("src", ""))))
            self._clip(where, _resolve(base, audio.get("src", "")), audio, previous)
        if not spoken:
            self.problem(f"{name}: the overlay has no clips")
        return spoken

    def _target(self, where: str, src: str) -> str:
        """The text of the element a clip highlights ("" and a problem when it is not there)."""
        document, _, fragment = src.partition("#")
        if document not in self.texts:
            try:
                root = self._xml(document)
                self.texts[document] = {e.get("id"): "".join(e.itertext()) for e in root.iter() if e.get("id")}
            except _Bad as exc:
                self.problem(f"{where}: {exc}")
                self.texts[document] = None
        texts = self.texts[document]
        if texts is None:
            return ""
        if fragment not in texts:
            self.problem(f"{where} points at #{fragment}, which {document} does not have")
            return ""
        return single_spaced(texts[fragment])

    def _clip(self, where: str, audio: str, element: ET.Element, previous: dict[str, int]) -> None:
        begin, end = clock_ms(element.get("clipBegin", "0")), clock_ms(element.get("clipEnd", ""))
        if begin is None or end is None:
            self.problem(f"{where}: clipBegin {element.get('clipBegin')!r} and clipEnd {element.get('clipEnd')!r} "
                         "must both be SMIL clock values")
            return
        if end <= begin:
            self.problem(f"{where}: the clip ends ({in_seconds(end)}) before it starts ({in_seconds(begin)})")
        if begin < previous.get(audio, 0):
            self.problem(f"{where}: the clip starts at {in_seconds(begin)}, before the clip above "
                         f"({in_seconds(previous[audio])}): clips must follow the audio in order")
        previous[audio] = begin
        length = self._duration(where, audio)
        if length is not None and end > length + END_TOLERANCE_MS:
            self.problem(f"{where}: the clip ends at {in_seconds(end)}, past the end of {audio} "
                         f"({in_seconds(length)})")

    def _duration(self, where: str, audio: str) -> int | None:
        """The audio's length, once it is found to be the published episode."""
        if audio not in self.durations:
            self.durations[audio] = None
            try:
                data = self.book.read(audio)
            except KeyError:
                self.problem(f"{where} plays {audio}, which the book does not hold")
                return None
            # The book holds the episodes where the guide's folder does, beside its package document.
            published = self.folder / posixpath.relpath(audio, self.package_dir or ".")
            if not published.is_file() or published.read_bytes() != data:
                self.problem(f"{audio} is not the published episode {published.relative_to(self.folder)} byte for "
                             "byte")
            self.durations[audio] = mp3_duration(f"{self.relative}: {audio}", data, self.report)
        return self.durations[audio]


def _resolve(base: str, href: str) -> str:
    """A reference in a file of the book, as the name of an entry of the zip."""
    path, hash_, fragment = unquote(href).partition("#")
    return posixpath.normpath(posixpath.join(base, path)) + hash_ + fragment


def against_guide(guide, relative: str, overlays: list[list[str]], report: Report) -> None:
    """The overlays hold every sentence of ``guide``, in order: the i-th
    overlay those of the i-th section."""
    if len(overlays) != len(guide.sections):
        report(relative, f"{guide.path}: the guide has {len(guide.sections)} sections but the book "
                         f"{len(overlays)} media overlays: rebuild the edition")
        return
    for number, (section, clips) in enumerate(zip(guide.sections, overlays), start=1):
        for problem in unheard(guide, section, " ".join(clips)):
            report(relative, f"{problem} in the media overlay of section {number}: rebuild the edition")
