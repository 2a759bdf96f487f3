"""What is spoken for each section: the guide's own words, in order, plus the
structural announcements (guide title, "Section 2 of 6", headings).

Nothing here adds, drops or rewords the guide's text. The only change to a
spoken line is a full stop after a heading that has no closing punctuation,
so the engine lets its voice fall and pauses as it would after a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Guide, Pauses, Section


@dataclass(frozen=True)
class Utterance:
    text: str  # what the engine speaks, and what transcripts show
    role: str  # "announcement", "heading", "paragraph" or "item" (a sentence of either)
    pause_after: int  # ms of silence after it
    chapter: int  # index of the chapter it belongs to
    block: int = -1  # index of its paragraph or list item in the section


def _closed(text: str) -> str:
    return text if text[-1:] in ".!?:;" else text + "."


def announcement(guide: Guide, number: int) -> str:
    section = guide.sections[number - 1]
    return f"{_closed(guide.title)} Section {number} of {len(guide.sections)}: {_closed(section.title)}"


def chapter_titles(section: Section) -> list[str]:
    """One title per chapter; the opening text before any ``###`` takes the
    section's title."""
    return [chapter.title or section.title for chapter in section.chapters]


def section_script(guide: Guide, number: int, pauses: Pauses) -> list[Utterance]:
    """The utterances of section ``number`` (1-based), in speaking order.

    The announcement belongs to the first chapter, so every chapter starts at
    the first word of its heading and chapter 0 starts at 0.
    """
    section = guide.sections[number - 1]
    script = [Utterance(announcement(guide, number), "announcement", pauses.announcement, 0)]
    blocks = 0
    for index, chapter in enumerate(section.chapters):
        if chapter.title:
            script.append(Utterance(_closed(chapter.title), "heading", pauses.heading, index))
        for block in chapter.blocks:
            last = len(block.sentences) - 1
            for i, sentence in enumerate(block.sentences):
                pause = pauses.sentence if i < last else getattr(pauses, block.kind)
                script.append(Utterance(sentence.text, block.kind, pause, index, blocks))
            blocks += 1
    return script
