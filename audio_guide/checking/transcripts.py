"""The timed transcripts: each WebVTT file parses, its cues are in time order
and within the audio, and (given the guide) it holds every sentence of its
section, in order. Read here from the WebVTT text itself, not from what the
build meant to write."""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..durations import in_seconds
from ..layout import FEED_FILE
from ..model import EpisodeFiles
from .media import END_TOLERANCE_MS
from .problems import Report

_VTT_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}\s+-->\s+{_VTT_TIME}(?:\s.*)?$")


def _ms(groups) -> int:
    h, m, s, ms = groups
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def single_spaced(text: str) -> str:
    """``text`` with every run of white space one space, as a transcript's
    cues and a guide's sentences are compared."""
    return " ".join(text.split())


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _cue(lines: list[str], i: int) -> tuple[str, int]:
    """The text of the cue whose body starts at line ``i``, and the line after it."""
    body = []
    while i < len(lines) and lines[i].strip():
        body.append(lines[i].strip())
        i += 1
    return html.unescape(" ".join(body)), i


def vtt_cues(folder: Path, relative: str, duration_ms: int, report: Report) -> list[str] | None:
    """The text of every cue of the VTT transcript, reporting timings that
    do not parse, run backwards or outlast the audio; None when it is not
    WebVTT at all."""
    lines = _lines((folder / relative).read_text(encoding="utf-8-sig", errors="replace"))
    if not lines or not re.fullmatch(r"WEBVTT(?:[ \t].*)?", lines[0]):
        report(relative, "not a WebVTT file: the first line must be WEBVTT; rebuild the edition")
        return None
    cues: list[str] = []
    previous = -1
    i = 1
    while i < len(lines):
        match = _VTT_TIMING.match(lines[i].strip())
        if not match:
            if "-->" in lines[i]:
                report(relative, f"line {i + 1}: cue timing {lines[i].strip()!r} is not "
                                 "HH:MM:SS.mmm --> HH:MM:SS.mmm: rebuild the edition")
            i += 1
            continue
        start, end = _ms(match.groups()[:4]), _ms(match.groups()[4:])
        if end < start:
            report(relative, f"line {i + 1}: the cue ends ({in_seconds(end)}) before it starts "
                             f"({in_seconds(start)}): rebuild the edition")
        if start < previous:
            report(relative, f"line {i + 1}: the cue starts at {in_seconds(start)}, before the cue above "
                             f"({in_seconds(previous)}): cues must be in time order; rebuild the edition")
        if end > duration_ms + END_TOLERANCE_MS:
            report(relative, f"line {i + 1}: the cue ends at {in_seconds(end)}, past the end of the audio "
                             f"({in_seconds(duration_ms)}): rebuild the edition")
        previous = start
        text, i = _cue(lines, i + 1)
        cues.append(text)
    if not cues:
        report(relative, "the transcript has no cues: rebuild the edition")
    return cues


def timed_sentences(vtt_text: str) -> list[tuple[str, int, int]]:
    """(text, start ms, end ms) of each sentence of a VTT transcript. The
    build splits a long sentence into cues that follow on without a gap (each
    ends where the next starts), while a pause always separates two
    sentences: cues that follow on are joined back into their sentence."""
    sentences: list[tuple[str, int, int]] = []
    lines = _lines(vtt_text)
    i = 0
    while i < len(lines):
        match = _VTT_TIMING.match(lines[i].strip())
        i += 1
        if not match:
            continue
        start, end = _ms(match.groups()[:4]), _ms(match.groups()[4:])
        text, i = _cue(lines, i)
        if sentences and sentences[-1][2] == start:
            sentences[-1] = (f"{sentences[-1][0]} {text}", sentences[-1][1], end)
        else:
            sentences.append((text, start, end))
    return sentences


def against_guide(guide, episode_audio: set[str], transcripts: dict[str, tuple[str, list[str]]],
                  report: Report) -> None:
    """Every section of ``guide`` has its episode in the feed, and every
    sentence of it is in the episode's transcript (``transcripts``: MP3 ->
    its VTT and the VTT's cues), in order."""
    for number, section in enumerate(guide.sections, start=1):
        files = EpisodeFiles.for_section(number, section.id)
        if files.audio not in episode_audio:
            report(FEED_FILE, f"{guide.path}:{section.line}: section {number} '{section.title}' has "
                              f"no episode ({files.audio}) in the feed: rebuild the edition")
            continue
        if files.audio not in transcripts:
            continue
        vtt, cues = transcripts[files.audio]
        for problem in unheard(guide, section, " ".join(cues)):
            report(vtt, f"{problem} in the transcript: rebuild the edition so the transcript matches the guide")


def unheard(guide, section, spoken: str):
    """What is wrong with ``spoken`` (a section's words as published) against
    the section as written: one 'guide.md:line: the sentence ... is missing'
    (or 'out of order') per sentence not found in order."""
    spoken, cursor = single_spaced(spoken), 0
    for chapter in section.chapters:
        for block in chapter.blocks:
            for sentence in block.sentences:
                wanted = single_spaced(sentence.text)
                found = spoken.find(wanted, cursor)
                if found >= 0:
                    cursor = found + len(wanted)
                    continue
                where = "out of order" if spoken.find(wanted) >= 0 else "missing"
                yield (f"{guide.path}:{sentence.line}: the sentence {wanted[:70]!r}"
                       f"{'...' if len(wanted) > 70 else ''} is {where}")
