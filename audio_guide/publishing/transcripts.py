"""Timed transcripts of an episode: WebVTT, SRT, plain text and HTML.

The words are the guide's written words, timed by the engine's own word
events. Captions follow the usual limits: lines of at most 65 characters and
at most two lines a cue, so a long sentence becomes several cues, each
starting at the engine's time for its first word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

from .. import durations
from .. import phrases as strings
from ..model import Episode, Line
from . import markup

LINE_CHARS = 65
CUE_LINES = 2


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    lines: tuple[str, ...]


def _wrap(text: str) -> list[tuple[int, str]]:
    """Greedy wrap at spaces into lines of at most LINE_CHARS; each line with
    the character offset where it starts. A single longer word stays whole."""
    lines: list[tuple[int, str]] = []
    for word in re.finditer(r"\S+", text):
        if lines and len(lines[-1][1]) + 1 + len(word.group()) <= LINE_CHARS:
            lines[-1] = (lines[-1][0], f"{lines[-1][1]} {word.group()}")
        else:
            lines.append((word.start(), word.group()))
    return lines


def _time_at(line: Line, char: int) -> int:
    """When the engine reached character ``char``: the time of the last word
    starting at or before it."""
    when = line.start
    for offset, ms in line.words:
        if offset > char:
            break
        when = ms
    return max(when, line.start)


def cues(lines: Sequence[Line]) -> list[Cue]:
    result: list[Cue] = []
    for line in lines:
        wrapped = _wrap(line.text)
        groups = [wrapped[i:i + CUE_LINES] for i in range(0, len(wrapped), CUE_LINES)]
        starts = [_time_at(line, group[0][0]) for group in groups] + [line.end]
        for group, start, end in zip(groups, starts, starts[1:]):
            result.append(Cue(start, max(end, start + 1), tuple(text for _, text in group)))
    return result


def _timing(cue: Cue, separator: str = ".") -> str:
    return f"{durations.timestamp(cue.start, separator)} --> {durations.timestamp(cue.end, separator)}"


def to_vtt(lines: Sequence[Line], language: str) -> str:
    out = ["WEBVTT", f"Language: {language}", ""]
    for number, cue in enumerate(cues(lines), start=1):
        # A cue's text may not contain "-->"; escape the characters VTT reserves.
        text = [t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in cue.lines]
        out += [str(number), _timing(cue), *text, ""]
    return "\n".join(out)


def to_srt(lines: Sequence[Line]) -> str:
    out = []
    for number, cue in enumerate(cues(lines), start=1):
        out += [str(number), _timing(cue, ","), *cue.lines, ""]  # SRT writes a comma before the milliseconds
    return "\n".join(out)


def paragraphs(lines: Sequence[Line]) -> list[tuple[str, list[Line]]]:
    """Group lines as the guide groups them: (role, lines) per paragraph,
    list item, heading or announcement."""
    groups: list[tuple[str, list[Line]]] = []
    for line in lines:
        if groups and line.block >= 0 and groups[-1][1][-1].block == line.block:
            groups[-1][1].append(line)
        else:
            groups.append((line.role, [line]))
    return groups


def as_written(episode: Episode) -> list[Line]:
    """The episode's lines as the page and the book show them: the speech
    adds a full stop after a heading; to the eye the heading reads as the
    guide wrote it."""
    titles = iter([chapter.title for chapter in episode.section.chapters if chapter.title is not None])
    return [replace(line, text=next(titles, line.text)) if line.role == "heading" else line
            for line in episode.lines]


def to_text(lines: Sequence[Line]) -> str:
    out = []
    for role, group in paragraphs(lines):
        text = " ".join(line.text for line in group)
        out.append(f"- {text}" if role == "item" else text)
    return "\n\n".join(out) + "\n"


def runs(lines: Sequence[Line]) -> list[tuple[str, list[list[Line]]]]:
    """paragraphs() as the HTML transcripts lay them out: (role, groups),
    where the list items that follow each other make one list ("item", one
    group per item) and anything else is one group of its own."""
    result: list[tuple[str, list[list[Line]]]] = []
    for role, group in paragraphs(lines):
        if role == "item" and result and result[-1][0] == "item":
            result[-1][1].append(group)
        else:
            result.append((role, [group]))
    return result


def to_html(lines: Sequence[Line], *, guide_title: str, section_title: str, number: int, total: int,
            language: str, audio_href: str, duration_ms: int) -> str:
    """A standalone, accessible transcript page (templates/transcript.html)."""
    return markup.render("transcript.html", lang=language, direction=strings.direction(language),
                         style=markup.asset("transcript.css"),
                         say=markup.phrases(language), runs=runs(lines), guide_title=guide_title,
                         section_title=section_title, number=number, total=total, audio_href=audio_href,
                         length=durations.clock(duration_ms))
