"""Timed transcripts of an episode: WebVTT, SRT, plain text and HTML.

The words are the guide's written words, timed by the engine's own word
events. Captions follow the usual limits: lines of at most 65 characters and
at most two lines a cue, so a long sentence becomes several cues, each
starting at the engine's time for its first word.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Sequence

from .. import phrases as strings
from ..model import Line

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


def _clock(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def to_vtt(lines: Sequence[Line], language: str) -> str:
    out = ["WEBVTT", f"Language: {language}", ""]
    for number, cue in enumerate(cues(lines), start=1):
        # A cue's text may not contain "-->"; escape the characters VTT reserves.
        text = [t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in cue.lines]
        out += [str(number), f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}", *text, ""]
    return "\n".join(out)


def to_srt(lines: Sequence[Line]) -> str:
    out = []
    for number, cue in enumerate(cues(lines), start=1):
        out += [str(number), f"{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}", *cue.lines, ""]
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


def to_text(lines: Sequence[Line]) -> str:
    out = []
    for role, group in paragraphs(lines):
        text = " ".join(line.text for line in group)
        out.append(f"- {text}" if role == "item" else text)
    return "\n\n".join(out) + "\n"


_STYLE = """
body { font: 1.125rem/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328;
       background: #fbfaf7; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.meta { color: #4a4f55; }
a { color: #0b5a6b; } a:focus-visible { outline: 3px solid #0b5a6b; outline-offset: 2px; }
"""


def to_html(lines: Sequence[Line], *, guide_title: str, section_title: str, number: int, total: int,
            language: str, audio_href: str, duration_ms: int) -> str:
    """A standalone, accessible transcript page; each sentence carries its
    times (data-start, data-end in ms) for players that follow along."""
    e = html.escape
    minutes, seconds = divmod(round(duration_ms / 1000), 60)
    length = f"{minutes}:{seconds:02d}"

    def say(key, **values):  # the page's own words, in the guide's language
        return strings.text(language, key, **values)

    body, in_list = [], False
    for role, group in paragraphs(lines):
        spans = " ".join(f'<span data-start="{line.start}" data-end="{line.end}">{e(line.text)}</span>'
                         for line in group)
        if role == "item" and not in_list:
            body.append("<ul>")
        elif role != "item" and in_list:
            body.append("</ul>")
        in_list = role == "item"
        tag = {"heading": "h2", "item": "li"}.get(role, "p")
        body.append(f"<{tag}>{spans}</{tag}>")
    if in_list:
        body.append("</ul>")
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{e(language)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(say('transcript_title', section=section_title, guide=guide_title))}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{e(section_title)}</h1>",
        f'<p class="meta">{e(say("transcript_meta", guide=guide_title, number=number, total=total, length=length))} '
        f'<a href="{e(audio_href)}">{e(say("transcript_download"))}</a></p>',
        *body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])
