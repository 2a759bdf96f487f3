"""audio_guide.checking.edition: a fresh edition checks clean, and each kind of damage a
publisher could meet is reported precisely, naming the file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from audio_guide import BuildOptions, build
from audio_guide.checking.edition import Problem, check_edition, format_report, guide_folders, report_json

from .conftest import CONTENT

SLUG = "journey-through-healing"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """content/ (copied) built once for this module, with two workers."""
    work = tmp_path_factory.mktemp("check")
    content = work / "content"
    shutil.copytree(CONTENT, content)
    result = build(BuildOptions(content_dir=content, out_dir=work / "out", cache_dir=work / "cache", jobs=2))
    return result, work / "out", content


@pytest.fixture
def damaged(built, tmp_path):
    """A copy of the built output folder to spoil, and the edition it holds."""
    result, out, content = built
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return result.editions[0], copy, copy / SLUG, content


def paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


def only(problems: list[Problem], path: str, phrase: str) -> Problem:
    found = [p for p in problems if p.path == path and phrase in p.message]
    assert found, f"no problem at {path} saying {phrase!r} in:\n{format_report(problems)}"
    return found[0]


def test_a_fresh_edition_checks_clean(built):
    _, out, content = built
    assert check_edition(out) == []
    assert check_edition(out, content) == []
    assert format_report([], len(guide_folders(out))) == "OK: 1 guide checked, no problems"
    assert json.loads(report_json([], 1)) == {"ok": True, "guides_checked": 1, "problems": []}


def test_a_truncated_mp3(damaged):
    edition, out, folder, content = damaged
    mp3 = folder / edition.episodes[1].files.audio
    mp3.write_bytes(mp3.read_bytes()[:-5000])
    problems = check_edition(out, content)
    path = f"{SLUG}/{edition.episodes[1].files.audio}"
    assert "truncated" in only(problems, path, "truncated").message
    only(problems, f"{SLUG}/feed.xml", f"enclosure length is {edition.episodes[1].size}")
    assert set(paths(problems)) == {path, f"{SLUG}/feed.xml"} and len(problems) == 2  # no knock-on problems


def test_a_wrong_enclosure_length(damaged):
    edition, out, folder, _ = damaged
    episode = edition.episodes[0]
    feed = folder / "feed.xml"
    text = feed.read_text(encoding="utf-8")
    assert f'length="{episode.size}"' in text
    feed.write_text(text.replace(f'length="{episode.size}"', f'length="{episode.size + 1}"'), encoding="utf-8")
    problems = check_edition(out)
    problem = only(problems, f"{SLUG}/feed.xml", f"enclosure length is {episode.size + 1}")
    assert f"{episode.files.audio} is {episode.size} bytes" in problem.message
    assert len(problems) == 1


def test_a_missing_transcript(damaged):
    edition, out, folder, content = damaged
    vtt = edition.episodes[2].files.vtt
    (folder / vtt).unlink()
    problems = check_edition(out, content)
    only(problems, f"{SLUG}/{vtt}", "missing, but the feed links it")
    assert paths(problems) == [f"{SLUG}/{vtt}"]


def test_a_chapter_past_the_end(damaged):
    edition, out, folder, _ = damaged
    episode = next(e for e in edition.episodes if len(e.chapters) > 1)
    path = folder / episode.files.chapters
    chapters = json.loads(path.read_text(encoding="utf-8"))
    chapters["chapters"][-1]["startTime"] = episode.duration_ms / 1000 + 30
    path.write_text(json.dumps(chapters), encoding="utf-8")
    problems = check_edition(out)
    relative = f"{SLUG}/{episode.files.chapters}"
    n = len(episode.chapters)
    only(problems, relative, f"chapter {n} '{episode.chapters[-1].title}' starts at")
    only(problems, relative, "past the end")
    only(problems, relative, "the JSON chapters disagree with the ID3 chapters")
    assert set(paths(problems)) == {relative}


def test_a_transcript_missing_a_sentence(damaged):
    edition, out, folder, content = damaged
    episode = edition.episodes[1]
    vtt = folder / episode.files.vtt
    text = vtt.read_text(encoding="utf-8")
    cues = text.split("\n\n")
    removed = cues.pop(3)  # header, then cue 1 (the announcement): this is a sentence of the guide
    vtt.write_text("\n\n".join(cues), encoding="utf-8")
    # Without the guides, a shorter transcript is still a valid one: only the manifest knows.
    only(check_edition(out), f"{SLUG}/{episode.files.vtt}", "differs from its checksum")
    problems = check_edition(out, content)
    words = " ".join(removed.split("\n")[2:])
    sentence = next(s for c in episode.section.chapters for b in c.blocks for s in b.sentences
                    if s.text.startswith(words[:30]))
    problem = only(problems, f"{SLUG}/{episode.files.vtt}", "missing in the transcript")
    assert f"guide.md:{sentence.line}:" in problem.message
    assert sentence.text[:40] in problem.message


def test_an_extra_stale_file(damaged):
    _, out, folder, _ = damaged
    (folder / "audio" / "old-episode.mp3").write_bytes(b"\xff\xfb" * 100)
    (out / ".DS_Store").write_bytes(b"\0")
    problems = check_edition(out)
    only(problems, f"{SLUG}/audio/old-episode.mp3", "stale file")
    only(problems, ".DS_Store", "hidden file")
    assert len(problems) == 2
    report = format_report(problems)
    assert report.splitlines()[1].startswith(f"{SLUG}/audio/old-episode.mp3: stale file")
    assert json.loads(report_json(problems, 1))["problems"][1]["path"] == f"{SLUG}/audio/old-episode.mp3"


def test_psc_chapters_disagreeing_with_the_audio(damaged):
    edition, out, folder, _ = damaged
    feed = folder / "feed.xml"
    text = feed.read_text(encoding="utf-8")
    title = edition.episodes[3].chapters[1].title
    feed.write_text(re.sub(r'(<psc:chapter start=")[^"]*(" title="%s")' % re.escape(title), r"\g<1>00:00:01.000\2",
                           text), encoding="utf-8")
    problems = check_edition(out)
    only(problems, f"{SLUG}/feed.xml", "the feed's psc:chapters disagree with the ID3 chapters: chapter 2")


def test_a_file_changed_after_the_build_fails_the_manifest(damaged):
    edition, out, folder, _ = damaged
    page = folder / "index.html"  # nothing but the manifest could tell this edit
    page.write_text(page.read_text(encoding="utf-8").replace("Section", "Sektion", 1), encoding="utf-8")
    problems = check_edition(out)
    assert paths(problems) == [f"{SLUG}/index.html"]
    only(problems, f"{SLUG}/index.html", "differs from its checksum in SHA256SUMS")


def test_the_manifest_is_the_one_sha256sum_reads(built):
    _, out, _ = built
    sha256sum = shutil.which("sha256sum")
    if not sha256sum:
        pytest.skip("sha256sum (GNU coreutils) is not installed")
    done = subprocess.run([sha256sum, "--check", "--strict", "SHA256SUMS"], cwd=out / SLUG, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = {line.split("  ", 1)[1] for line in (out / SLUG / "SHA256SUMS").read_text().splitlines()}
    files = {p.relative_to(out / SLUG).as_posix() for p in (out / SLUG).rglob("*") if p.is_file()}
    assert listed == files - {"SHA256SUMS"} and len(listed) == 43


def test_a_truncated_full_edition(damaged):
    edition, out, folder, _ = damaged
    full = folder / edition.full.audio
    full.write_bytes(full.read_bytes()[:-3000])
    problems = check_edition(out)
    assert paths(problems) == [f"{SLUG}/{edition.full.audio}"]
    only(problems, f"{SLUG}/{edition.full.audio}", "truncated")


@pytest.mark.parametrize("gain_db", [6, -6])
def test_an_episode_too_loud_or_too_quiet(damaged, gain_db):
    """Loudness is measured by ffmpeg's ebur128 filter, not by the meter that
    mastered the audio: an episode turned up or down after the build is caught."""
    from audio_guide.ffmpeg import run_ffmpeg

    edition, out, folder, _ = damaged
    mp3 = folder / edition.episodes[0].files.audio
    louder = run_ffmpeg(["-i", str(mp3), "-map", "0:a", "-af", f"volume={gain_db}dB", "-c:a", "libmp3lame",
                         "-b:a", "64k", "-f", "mp3", "-"]).stdout
    mp3.write_bytes(louder)
    problems = check_edition(out)
    path = f"{SLUG}/{edition.episodes[0].files.audio}"
    problem = only(problems, path, "integrated loudness is")
    assert "LU of the -19 LUFS target for a mono file" in problem.message
    measured = float(re.search(r"loudness is (-?[\d.]+) LUFS", problem.message)[1])
    assert measured == pytest.approx(-19 + gain_db, abs=1)
    peaks = [p for p in problems if p.path == path and "true peak is" in p.message]
    assert len(peaks) == (1 if gain_db > 0 else 0)


def test_mp3_frames_are_timed_at_their_own_sample_rate():
    """check reads the frames with a reader of its own, each at the rate its
    header gives: a 48 kHz file is not timed as if it were the build's 44.1 kHz."""
    from audio_guide.checking.media import mp3_duration
    from audio_guide.ffmpeg import run_ffmpeg

    data = run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3", "-c:a", "libmp3lame",
                       "-b:a", "64k", "-f", "mp3", "-"]).stdout
    problems = []
    duration_ms = mp3_duration("tone.mp3", data, lambda *problem: problems.append(problem))
    assert problems == []
    assert duration_ms == pytest.approx(3000, abs=60)  # the encoder's delay and padding add a frame or two
