"""The guide as plain data: no I/O here, only what the reader found.

Guide -> Section -> Chapter -> Block -> Sentence. Every node keeps the line it
came from so that later stages can point an editor at the source.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import types
import typing
from dataclasses import dataclass, field, replace

from . import layout


@dataclass(frozen=True)
class Sentence:
    text: str  # the written words, exactly as in the guide
    line: int


@dataclass(frozen=True)
class Block:
    kind: str  # "paragraph" or "item" (a list item)
    sentences: tuple[Sentence, ...]
    line: int


@dataclass(frozen=True)
class Chapter:
    """A ``###`` heading and what follows it; ``title`` is None for the text
    that opens a section before its first ``###``."""

    title: str | None
    blocks: tuple[Block, ...]
    line: int


@dataclass(frozen=True)
class Section:
    """A ``##`` heading: one episode."""

    title: str
    id: str  # {#id} after the title, else made from it: the episode's lasting identity
    chapters: tuple[Chapter, ...]
    line: int


@dataclass(frozen=True)
class Pauses:
    """Silence, in milliseconds, after each kind of utterance."""

    announcement: int = 1400
    heading: int = 1000
    paragraph: int = 800
    item: int = 700
    sentence: int = 350


@dataclass(frozen=True)
class Pacing:
    """A named speaking rate (words per minute) and set of pauses."""

    rate: int
    pauses: Pauses


# calm, the default, for listeners who may be tired or grieving; brisk for
# those who would rather it moved along (and for reviewing an edition).
PACING = {
    "calm": Pacing(150, Pauses()),
    "brisk": Pacing(175, Pauses(announcement=1000, heading=700, paragraph=550, item=450, sentence=250)),
}
DEFAULT_PACING = "calm"


@dataclass(frozen=True)
class Voice:
    """How the guide is spoken: engine voice name (None: the engine's default
    for the guide's language), rate in words per minute, and pauses: those of
    its pacing, with ``given`` (a guide's own 'rate' and 'pauses') on top."""

    name: str | None = None
    rate: int = 150
    pauses: Pauses = field(default_factory=Pauses)
    pacing: str = DEFAULT_PACING
    given: tuple[tuple[str, int], ...] = ()  # ("rate", wpm) and (pause kind, ms) the guide set itself
    engine: str | None = None  # the speech engine the guide asks for (None: the site's, else the default)

    def paced(self, pacing: str) -> "Voice":
        """This voice with another pacing; what the guide set itself still wins."""
        profile = PACING[pacing]
        given = dict(self.given)
        rate = given.pop("rate", profile.rate)
        return Voice(self.name, rate, replace(profile.pauses, **given), pacing, self.given, self.engine)


@dataclass(frozen=True)
class Guide:
    slug: str  # folder name in content/ and output/
    path: str  # the Markdown file it was read from
    title: str
    subtitle: str | None
    author: str | None
    publisher: str | None
    language: str
    description: str | None
    license: str | None
    copyright: str | None
    keywords: tuple[str, ...]
    published: _dt.date | None
    updated: _dt.date | None
    cover: str | None  # path of the image the front matter names
    voice: Voice
    sections: tuple[Section, ...]
    # The line of each front-matter key, for errors found after reading
    # (a voice the engine lacks, a cover that is not an image).
    key_lines: tuple[tuple[str, int], ...] = ()

    def line(self, key: str) -> int | None:
        return dict(self.key_lines).get(key)


# What a build made: the published edition, as the feed, transcripts and pages
# see it. Paths are relative to the guide's output folder; times are ms.

@dataclass(frozen=True)
class ChapterMark:
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Line:
    """One spoken utterance and where it is in the audio."""

    text: str
    role: str  # "announcement", "heading", "paragraph" or "item" (a sentence of either)
    block: int  # the paragraph or list item it belongs to (-1 for announcements and headings)
    start: int  # its first word
    end: int  # the end of its speech
    words: tuple[tuple[int, int], ...]  # (character offset, ms) of each word


@dataclass(frozen=True)
class EpisodeFiles:
    audio: str
    vtt: str
    srt: str
    txt: str
    html: str
    chapters: str

    @classmethod
    def for_section(cls, number: int, section_id: str) -> "EpisodeFiles":
        return cls(**layout.episode_paths(number, section_id))


@dataclass(frozen=True)
class Episode:
    number: int
    section: Section
    guid: str
    published: _dt.datetime
    files: EpisodeFiles
    size: int  # bytes of the MP3
    duration_ms: int
    chapters: tuple[ChapterMark, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class FullEdition:
    audio: str
    size: int
    duration_ms: int
    chapters: tuple[ChapterMark, ...]
    audiobook: str | None  # the M4B, when asked for


@dataclass(frozen=True)
class Site:
    """The publishing clinic's branding, shown on the page, the handout and
    in the feed."""

    clinic_name: str | None = None
    contact: str | None = None  # one line: phone, email, address or web page
    logo: str | None = None  # where the clinic keeps its logo: a PNG or JPEG file
    email: str | None = None  # for podcast directories only (itunes:owner): never shown to listeners


def publisher(guide: Guide, site: Site) -> str:
    """Who publishes an edition: the clinic, else the guide's own author or publisher."""
    return site.clinic_name or guide.author or guide.publisher or guide.title


@dataclass(frozen=True)
class Edition:
    guide: Guide
    base_url: str  # where this guide's folder is published, ending in /
    podcast_guid: str | None  # the site's, once the feed is public (reading/identity.py)
    voice: str
    rate: int
    cover: str
    episodes: tuple[Episode, ...]
    full: FullEdition
    site: Site = Site()
    logo: str | None = None  # the clinic's logo as published, beside the page (site.logo is its source)
    book: str | None = None  # the read-along EPUB, when asked for
    book_size: int = 0  # its bytes

    def url(self, relative: str) -> str:
        return self.base_url + relative

    @property
    def feed_url(self) -> str:
        return self.url(layout.FEED_FILE)


# Plain data, as JSON holds it (keys.plain makes it): an edition is recorded
# this way beside the cache (publishing/record.py) and read back whole.

@functools.cache
def _fields(kind) -> tuple[tuple[str, object], ...]:
    hints = typing.get_type_hints(kind)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(kind))


def from_plain(kind, data):
    """The value of type ``kind`` that ``keys.plain`` gave ``data`` for; a
    ValueError, TypeError or KeyError if ``data`` is not one."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        (kind,) = [a for a in args if a is not type(None)]
        return from_plain(kind, data)
    if dataclasses.is_dataclass(kind):
        return kind(**{name: from_plain(hint, data[name]) for name, hint in _fields(kind)})
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], v) for v in data)
        if len(args) != len(data):
            raise ValueError(f"expected {len(args)} values, not {len(data)}")
        return tuple(from_plain(a, v) for a, v in zip(args, data))
    if kind in (_dt.date, _dt.datetime):
        return kind.fromisoformat(data)
    if kind in (str, int, bool) and type(data) is kind:
        return data
    raise TypeError(f"expected {kind}, not {data!r}")
