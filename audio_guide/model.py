"""The guide as plain data: no I/O here, only what the reader found.

Guide -> Section -> Chapter -> Block -> Sentence. Every node keeps the line it
came from so that later stages can point an editor at the source.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field


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
    slug: str
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
class Voice:
    """How the guide is spoken: engine voice name (None: the engine's default
    for the guide's language), rate in words per minute, and pauses."""

    name: str | None = None
    rate: int = 150
    pauses: Pauses = field(default_factory=Pauses)


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
    voice: Voice
    sections: tuple[Section, ...]
