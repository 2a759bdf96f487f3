"""Golden files: every text file the publishing stage writes, rendered by the
real functions for a small edition made of plain data, and compared byte for
byte with the copies kept in tests/golden/ (laid out as the output folder is).

No speech engine and no audio: the guides are read from
tests/fixtures/golden/, the script's lines come from speaking.script, and
every time, length and size below is written by hand. Titles carry <, & and
quotes so that escaping shows, and lengths of 2,500 ms and 12,500 ms so that
rounding shows.

A change that alters a published byte fails here with the diff. When the
change is meant, regenerate with one command and review the files' diff
before committing them with the change:

    UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

It rewrites the files that differ (each reported as a warning) and removes
the ones no longer made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import os
import re
import uuid
import warnings
from pathlib import Path

import pytest

from audio_guide.layout import COVER_FILE, FEED_FILE, PAGE_FILE, full_audio
from audio_guide.model import ChapterMark, Edition, Episode, EpisodeFiles, FullEdition, Guide, Line, Pauses, Site
from audio_guide.publishing import feed, page, transcripts
from audio_guide.reading.guides import read_guides
from audio_guide.reading.identity import podcast_guid
from audio_guide.speaking.script import chapter_titles, section_script

from .conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "golden"
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
BASE = "https://clinic.example/audio/"
SITE = Site(clinic_name="Riverside Clinic & <Birth> Centre", contact='Call 0123 456 789, "weekdays" 9 to 5',
            logo="/clinic/branding/logo.png",  # where the clinic keeps it: never on the page
            email="podcasts+audio@riverside-clinic.example")


@dataclasses.dataclass(frozen=True)
class Timed:
    """What a speech engine and the encoder would have reported for a section."""

    lines: tuple[tuple[int, int], ...]  # (start, end) ms of each line of the script, in order
    chapters: tuple[int, ...]  # each chapter's start, ms
    duration_ms: int
    size: int  # bytes of the MP3


TIMES = {
    "rest-and-recovery": (
        Timed(((0, 5200), (6600, 9300), (9650, 17800), (18600, 20300), (21000, 24100)), (0,), 24500, 201_114),
        Timed(((0, 4600), (6000, 9100), (9450, 10900), (12650, 13700), (14700, 19600)), (0, 12500), 20000,
              164_617),
        Timed(((0, 1700), (1800, 2400)), (0,), 2500, 20_941),
    ),
    "rest-and-recovery-es": (
        Timed(((0, 4800), (6200, 8300), (8650, 10100), (10800, 11400), (11500, 12300)), (0,), 12500, 98_304),
        Timed(((0, 4700), (6100, 9800), (10150, 10900), (11250, 12100), (13100, 14000), (15000, 18300)),
              (0, 12950), 18500, 150_000),
    ),
}
FULL_SIZES = {"rest-and-recovery": 380_000, "rest-and-recovery-es": 1_250_000}


def _words(text: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """Word events spread evenly over the line, as an engine's would fall."""
    offsets = [match.start() for match in re.finditer(r"\S+", text)]
    return tuple((offset, start + (end - start) * i // len(offsets)) for i, offset in enumerate(offsets))


def _episode(guide: Guide, number: int, timed: Timed) -> Episode:
    section = guide.sections[number - 1]
    script = section_script(guide, number, Pauses())
    assert len(script) == len(timed.lines), f"{guide.slug} section {number}: one (start, end) per line"
    lines = tuple(Line(u.text, u.role, u.block, start, end, _words(u.text, start, end))
                  for u, (start, end) in zip(script, timed.lines))
    starts = list(timed.chapters)
    marks = tuple(ChapterMark(title, start, end) for title, start, end
                  in zip(chapter_titles(section), starts, starts[1:] + [timed.duration_ms]))
    published = dt.datetime(2026, 11, 30, 9, number, tzinfo=dt.timezone.utc)
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{BASE}{guide.slug}/#{section.id}"))
    return Episode(number, section, guid, published, EpisodeFiles.for_section(number, section.id), timed.size,
                   timed.duration_ms, marks, lines)


def _edition(guide: Guide) -> Edition:
    guide = dataclasses.replace(guide, path=str(Path(guide.path).relative_to(ROOT)))  # no machine's folders
    episodes = tuple(_episode(guide, n, timed) for n, timed in enumerate(TIMES[guide.slug], start=1))
    starts = [0]
    for episode in episodes:
        starts.append(starts[-1] + episode.duration_ms)
    marks = tuple(ChapterMark(e.section.title, a, b) for e, a, b in zip(episodes, starts, starts[1:]))
    english = guide.language == "en"  # the English edition has the audiobook too
    full = FullEdition(full_audio(guide.slug), FULL_SIZES[guide.slug], starts[-1], marks,
                       f"audio/{guide.slug}-complete.m4b" if english else None)
    url = f"{BASE}{guide.slug}/"
    return Edition(guide, url, podcast_guid(url + FEED_FILE), "en-us" if english else "es", 150, COVER_FILE,
                   episodes, full, SITE, "logo.png")


def rendered() -> dict[str, bytes]:
    """Each published text file by its path in the output folder."""
    editions = [_edition(guide) for guide in read_guides(FIXTURE)]
    files: dict[str, bytes] = {
        PAGE_FILE: page.render_catalog(editions).encode(),
        "feeds.opml": feed.opml(editions),
    }
    for edition in editions:
        guide, folder = edition.guide, edition.guide.slug + "/"
        files[folder + PAGE_FILE] = page.render_page(edition).encode()
        files[folder + FEED_FILE] = feed.rss(edition)
        for episode in edition.episodes:
            lines, names = episode.lines, episode.files
            files[folder + names.vtt] = transcripts.to_vtt(lines, guide.language).encode()
            files[folder + names.srt] = transcripts.to_srt(lines).encode()
            files[folder + names.txt] = transcripts.to_text(lines).encode()
            files[folder + names.html] = transcripts.to_html(
                lines, guide_title=guide.title, section_title=episode.section.title, number=episode.number,
                total=len(edition.episodes), language=guide.language, audio_href="../" + names.audio,
                duration_ms=episode.duration_ms).encode()
            files[folder + names.chapters] = feed.chapters_json(episode.chapters).encode()
    return files


FILES = rendered()


class GoldenRewritten(UserWarning):
    pass


def _kept() -> set[str]:
    return {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file() and p.name != ".gitattributes"}


@pytest.mark.parametrize("name", sorted(FILES))
def test_output_matches_its_golden_file(name):
    path = GOLDEN / name
    made = FILES[name]
    kept = path.read_bytes() if path.is_file() else None
    if made == kept:
        return
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(made)
        warnings.warn(GoldenRewritten(f"{'rewrote' if kept is not None else 'added'} tests/golden/{name}"))
        return
    if kept is None:
        pytest.fail(f"tests/golden/{name} is missing: make it with UPDATE_GOLDEN=1 python -m pytest "
                    "tests/test_golden.py, and review it")
    diff = difflib.unified_diff(kept.decode(errors="replace").splitlines(keepends=True),
                                made.decode(errors="replace").splitlines(keepends=True),
                                f"tests/golden/{name}", "rendered now")
    shown = "".join(list(diff)[:80])
    pytest.fail(f"{name} differs from its golden file (if that is meant: UPDATE_GOLDEN=1 python -m pytest "
                f"tests/test_golden.py, then review the diff):\n{shown}", pytrace=False)


def test_no_golden_file_is_left_over():
    stale = sorted(_kept() - set(FILES))
    if stale and UPDATE:
        for name in stale:
            (GOLDEN / name).unlink()
            warnings.warn(GoldenRewritten(f"removed tests/golden/{name}, which nothing makes any more"))
        return
    assert not stale, f"golden files that nothing makes any more: {stale} (UPDATE_GOLDEN=1 removes them)"


def test_the_data_shows_escaping_and_rounding():
    """The goldens are only as telling as the data: keep what they are for."""
    page_html = FILES[f"rest-and-recovery/{PAGE_FILE}"].decode()
    assert "&lt;Small&gt;" in page_html and "&amp;" in page_html and "&#x27;Home&#x27;" in page_html
    durations = [e.duration_ms for t in TIMES.values() for e in t]
    assert 2500 in durations and 12500 in durations
