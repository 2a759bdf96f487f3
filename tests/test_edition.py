"""The built edition, judged by ffprobe, ffmpeg's ebur128 and mutagen: the
default engine's and the natural voice's (Piper) alike."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from mutagen.id3 import ID3

from audio_guide.reading.guides import read_guide

from .conftest import GUIDE, SEED, ffprobe, require_tool

TARGET_MONO_LUFS = -19.0  # -16 LUFS as heard: a mono file measures 3 LU lower


@pytest.fixture(params=["default", "piper"])
def edition(request, edition):
    """Every test here judges both engines' editions of content/."""
    return request.getfixturevalue("piper_edition") if request.param == "piper" else edition


def episode_files(edition):
    result, _ = edition
    ed = result.editions[0]
    return [(result.folder(ed) / e.files.audio, e) for e in ed.episodes]


def check_chapters(chapters, titles, duration_s):
    assert [c["tags"]["title"] for c in chapters] == titles
    starts = [float(c["start_time"]) for c in chapters]
    ends = [float(c["end_time"]) for c in chapters]
    assert starts[0] == 0 and starts == sorted(starts) and len(set(starts)) == len(starts)
    assert starts[1:] == ends[:-1], "chapters must be contiguous"
    assert abs(ends[-1] - duration_s) <= 0.1, (ends[-1], duration_s)


def test_every_episode_has_its_chapters(edition):
    guide = read_guide(GUIDE)
    files = episode_files(edition)
    assert len(files) == len(guide.sections) == 6
    for (path, episode), section in zip(files, guide.sections):
        probe = ffprobe(path)
        titles = [c.title or section.title for c in section.chapters]
        check_chapters(probe["chapters"], titles, float(probe["format"]["duration"]))
    steps = ffprobe(files[3][0])["chapters"]
    assert len(steps) == 6 and steps[1]["tags"]["title"] == "2. Seek Support"


def test_full_edition_has_one_chapter_per_section(edition):
    result, _ = edition
    ed = result.editions[0]
    probe = ffprobe(result.folder(ed) / ed.full.audio)
    check_chapters(probe["chapters"], [s.title for s in ed.guide.sections], float(probe["format"]["duration"]))
    assert abs(float(probe["format"]["duration"]) - sum(e.duration_ms for e in ed.episodes) / 1000) < 1.0
    audiobook = ffprobe(result.folder(ed) / ed.full.audiobook)
    assert audiobook["streams"][0]["codec_name"] == "aac"
    check_chapters(audiobook["chapters"], [s.title for s in ed.guide.sections],
                   float(audiobook["format"]["duration"]))


def speech_onsets(path) -> list[float]:
    """Where speech resumes after each pause, found by ffmpeg in the audio."""
    log = subprocess.run([require_tool("ffmpeg"), "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "silencedetect=noise=-45dB:d=0.3", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return [float(x) for x in re.findall(r"silence_end: ([0-9.]+)", log)]


def test_chapters_start_at_their_headings_first_word(edition):
    """Engine timings against chapter times, and both against the audio itself."""
    for path, episode in episode_files(edition):
        chapters = ffprobe(path)["chapters"]
        onsets = speech_onsets(path)
        heading_words = [next(line.start for line in episode.lines
                              if line.role == "heading" and line.text.startswith(chapter.title))
                         for chapter in episode.chapters[1:]]
        first_word = episode.lines[0].start
        assert first_word <= 250  # chapter 0 starts at 0, with the announcement
        for chapter, word_ms in zip(chapters[1:], heading_words):
            start = float(chapter["start_time"])
            assert abs(start - word_ms / 1000) <= 0.25, (chapter["tags"]["title"], start, word_ms)
            assert any(0 <= onset - start <= 0.25 for onset in onsets), (chapter["tags"]["title"], start)
        assert len(heading_words) == len(chapters) - 1


def test_tags_read_back(edition):
    result, _ = edition
    ed = result.editions[0]
    for path, episode in episode_files(edition):
        tags = ffprobe(path)["format"]["tags"]
        assert tags["title"] == episode.section.title
        assert tags["album"] == "Journey Through Healing"
        assert tags["artist"] == "audio-guide"
        assert tags["track"] == f"{episode.number}/6"
        assert tags["language"] == "eng"
        assert tags["genre"] == "Podcast"
        assert tags["copyright"] == "All rights reserved"
        assert tags["date"] == "2026-11-26"
        assert tags["comment"].startswith("An audio guide to emotional and physical recovery")
        id3 = ID3(path)
        lyrics = id3.getall("USLT")[0].text
        section = ed.guide.sections[episode.number - 1]
        for chapter in section.chapters:
            for block in chapter.blocks:
                for sentence in block.sentences:
                    assert sentence.text in lyrics
        toc = id3.getall("CTOC")[0]
        chaps = {c.element_id: c for c in id3.getall("CHAP")}
        assert [chaps[i].sub_frames["TIT2"].text[0] for i in toc.child_element_ids] == \
            [c.title for c in episode.chapters]
        assert id3.version == (2, 4, 0)


def test_loudness_on_target(edition):
    result, _ = edition
    ed = result.editions[0]
    for path in [p for p, _ in episode_files(edition)] + [result.folder(ed) / ed.full.audio]:
        log = subprocess.run([require_tool("ffmpeg"), "-hide_banner", "-nostats", "-i", str(path), "-af",
                              "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True).stderr
        summary = log[log.rindex("Summary:"):]
        integrated = float(re.search(r"I:\s+(-?[0-9.]+) LUFS", summary).group(1))
        peak = float(re.search(r"Peak:\s+(-?[0-9.]+) dBFS", summary).group(1))
        assert abs(integrated - TARGET_MONO_LUFS) <= 1.0, (path.name, integrated)
        assert peak <= -1.0, (path.name, peak)


def decode(path) -> np.ndarray:
    pcm = subprocess.run([require_tool("ffmpeg"), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1",
                          "-ar", "22050", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768


def test_every_sentence_is_spoken(edition):
    """Nothing dropped: every sentence of the guide has its own audible span."""
    guide = read_guide(GUIDE)
    written = [s.text for section in guide.sections for c in section.chapters for b in c.blocks
               for s in b.sentences]
    spoken = []
    for path, episode in episode_files(edition):
        x = decode(path)
        for line in episode.lines:
            span = x[line.start * 22050 // 1000:line.end * 22050 // 1000]
            assert line.end - line.start >= 300 and np.sqrt(np.mean(span ** 2)) > 0.01, line.text
            spoken.append(line.text)
    assert [text for text in spoken if text in written] == written
    assert len(written) == 30


def test_section_announcements(edition):
    result, _ = edition
    first = [e.lines[0].text for e in result.editions[0].episodes]
    assert first[2] == "Journey Through Healing. Section 3 of 6: Physical Recovery After Miscarriage."
    assert all(f"Section {n} of 6: " in text for n, text in enumerate(first, start=1))
    # The opening says the whole title line once; the others keep it short.
    assert first[0] == ("Journey Through Healing: Emotional and Physical Recovery After Miscarriage. "
                        "Section 1 of 6: Introduction.")


def test_every_word_of_the_source_text_is_in_the_transcripts_in_order(edition):
    """The guide's source text as written, its title line included, read from
    the published plain-text transcripts: nothing dropped, nothing reordered."""
    result, options = edition
    folder = options.out_dir / result.editions[0].guide.slug
    heard = []
    for episode in result.editions[0].episodes:
        heard += _words((folder / episode.files.txt).read_text(encoding="utf-8"))
    source = _words(SEED.read_text(encoding="utf-8"))
    position = 0
    for n, word in enumerate(source):  # a subsequence: announcements and headings may come between
        assert word in heard[position:], f"word {n} of the source text, {word!r}, is not heard after word {position}"
        position = heard.index(word, position) + 1
    assert len(source) > 450


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'").replace(":", " "))


def test_mp3_format_suits_podcast_apps(edition):
    path, _ = episode_files(edition)[0]
    stream = ffprobe(path)["streams"][0]
    assert stream["codec_name"] == "mp3" and stream["channels"] == 1
    assert stream["sample_rate"] == "44100" and stream["bit_rate"] == "64000"


@pytest.mark.parametrize("name", ["audio/01-introduction.mp3", "audio/journey-through-healing-complete.mp3"])
def test_files_decode_without_errors(edition, name):
    result, _ = edition
    done = subprocess.run([require_tool("ffmpeg"), "-v", "error", "-i", str(result.folder(result.editions[0]) / name),
                           "-f", "null", "-"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""


def momentary_loudness(path) -> list[tuple[float, float]]:
    """(seconds, LUFS) of ebur128's momentary loudness (400 ms windows, every 100 ms)."""
    log = subprocess.run([require_tool("ffmpeg"), "-hide_banner", "-nostats", "-i", str(path), "-vn", "-af",
                          "ebur128", "-f", "null", "-"], capture_output=True, text=True).stderr
    return [(float(t), float(m)) for t, m in re.findall(r"t:\s*([0-9.]+)\s.*?M:\s*(-?[0-9.]+)", log)]


def test_sentences_sit_at_one_even_level(edition):
    """No sentence more than 2 LU louder or softer than the one before it,
    measured by ffmpeg's ebur128 over each sentence's own span."""
    for path, episode in episode_files(edition):
        frames = momentary_loudness(path)
        levels = []
        for line in episode.lines:
            # windows wholly inside the sentence, and above silence
            inside = [m for t, m in frames if line.start / 1000 + 0.4 <= t <= line.end / 1000 and m > -50]
            if len(inside) >= 3:
                levels.append((10 * np.log10(np.mean([10 ** (m / 10) for m in inside])), line.text))
        assert len(levels) >= len(episode.lines) // 2
        for (before, _), (after, text) in zip(levels, levels[1:]):
            assert abs(after - before) <= 2.0, (path.name, text, round(before, 1), round(after, 1))
