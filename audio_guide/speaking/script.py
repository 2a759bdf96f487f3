"""What is spoken for each section: the guide's own words, in order, plus the
structural announcements (guide title, "Section 2 of 6", headings).

Nothing here adds, drops or rewords the guide's text. The only change to a
written line is a full stop after a heading that has no closing punctuation,
so the engine lets its voice fall and pauses as it would after a sentence.
What the engine speaks may differ from what is written only where the
pronunciation lexicon (reading/lexicon.py) says how to say a term.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import phrases as strings
from ..model import Guide, Pauses, Section
from ..reading.lexicon import Lexicon, written_offset


@dataclass(frozen=True)
class Utterance:
    text: str  # the written words: what transcripts, tags and the page show
    role: str  # "announcement", "heading", "paragraph" or "item" (a sentence of either)
    pause_after: int  # ms of silence after it
    chapter: int  # index of the chapter it belongs to
    block: int = -1  # index of its paragraph or list item in the section
    spoken: str | None = None  # what the engine says, where the lexicon changed it
    # (start, end in spoken, start, end in text) of each term the lexicon replaced
    spans: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def speech(self) -> str:
        """What the engine speaks."""
        return self.text if self.spoken is None else self.spoken

    def written_offset(self, char: int) -> int:
        """The place in ``text`` of character ``char`` of ``speech`` (a word
        inside a replaced term maps to the term's start)."""
        return written_offset(self.spans, char)


def _closed(text: str) -> str:
    return text if text[-1:] in ".!?:;" else text + "."


def announcement(guide: Guide, number: int) -> str:
    """What opens a section ("Title. Section 2 of 6: Its title."), in the
    guide's language. The first says the whole title, subtitle included, so
    every word of the title line is heard once (and is in a transcript); the
    rest keep it short."""
    section = guide.sections[number - 1]
    title = guide.title
    if number == 1 and guide.subtitle:
        title = strings.text(guide.language, "full_title", title=guide.title, subtitle=guide.subtitle)
    return strings.text(guide.language, "announcement", guide=_closed(title), number=number,
                        total=len(guide.sections), section=_closed(section.title))


def chapter_titles(section: Section) -> list[str]:
    """One title per chapter; the opening text before any ``###`` takes the
    section's title."""
    return [chapter.title or section.title for chapter in section.chapters]


def section_script(guide: Guide, number: int, pauses: Pauses, lexicon: Lexicon | None = None,
                   phonemes: bool = False) -> list[Utterance]:
    """The utterances of section ``number`` (1-based), in speaking order, with
    ``lexicon`` applied to what is spoken (its phonemes too, if ``phonemes``:
    for engines that take espeak-ng's).

    The announcement belongs to the first chapter, so every chapter starts at
    the first word of its heading and chapter 0 starts at 0.
    """
    def utterance(text, role, pause, chapter, block=-1):
        spoken, spans = lexicon.apply(text, phonemes) if lexicon else (text, ())
        return Utterance(text, role, pause, chapter, block, spoken if spans else None, spans)

    section = guide.sections[number - 1]
    script = [utterance(announcement(guide, number), "announcement", pauses.announcement, 0)]
    blocks = 0
    for index, chapter in enumerate(section.chapters):
        if chapter.title:
            script.append(utterance(_closed(chapter.title), "heading", pauses.heading, index))
        for block in chapter.blocks:
            last = len(block.sentences) - 1
            for i, sentence in enumerate(block.sentences):
                pause = pauses.sentence if i < last else getattr(pauses, block.kind)
                script.append(utterance(sentence.text, block.kind, pause, index, blocks))
            blocks += 1
    return script
