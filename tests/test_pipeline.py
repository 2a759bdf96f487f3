"""Builds as a whole: reproducible bytes, an honest cache, engine faults."""

from __future__ import annotations

import shutil
import time
from dataclasses import astuple
from pathlib import Path

import pytest

from audio_guide import BuildOptions, build
from audio_guide.audio import codecs
from audio_guide.errors import EngineError
from audio_guide.layout import FEED_FILE, HANDOUT_FILE, MANIFEST_FILE, PAGE_FILE, full_audio
from audio_guide.model import Site

from .conftest import CONTENT, run_cli


def tree(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_content(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def test_two_clean_builds_give_identical_bytes(edition, tmp_path):
    result, options = edition
    again = BuildOptions(content_dir=options.content_dir, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                         jobs=1, formats=options.formats)
    build(again)
    first, second = tree(options.out_dir), tree(again.out_dir)
    assert first.keys() == second.keys() and len(first) == 47
    assert Path("journey-through-healing/journey-through-healing.epub") in first  # the book: a zip, dated by the guide
    assert all(first[name] == second[name] for name in first)


def test_the_published_handout_is_the_one_a_whole_layout_search_draws(edition):
    from audio_guide.publishing.handout import render_handout

    result, options = edition
    for published in result.editions:
        assert (options.out_dir / published.guide.slug / "handout.pdf").read_bytes() == render_handout(published)


def files(folder):
    """Every file under ``folder``: (inode, mtime in ns, size), which any rewrite changes."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refuse(monkeypatch, *names):
    """Make each ``module.function`` fail the test if a build calls it."""
    for name in names:
        def called(*args, _name=name, **kwargs):
            raise AssertionError(f"{_name} was called")
        monkeypatch.setattr(name, called)


def test_an_unchanged_rebuild_speaks_encodes_tags_joins_and_writes_nothing(tmp_path, monkeypatch):
    content = copy_content(tmp_path)
    options = BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", jobs=1)
    cold = build(options)
    assert cold.stats.synthesized == 6 and cold.unchanged == []
    published, cached = files(options.out_dir), files(options.cache_dir)

    with monkeypatch.context() as refused:  # jobs=1 renders in this process, where these are refused
        refuse(refused, "audio_guide.speaking.workers.speak_all", "audio_guide.audio.codecs.encode_mp3",
               "audio_guide.publishing.edition.render_id3", "audio_guide.audio.codecs.join_frames",
               "audio_guide.publishing.writer.Writer.write", "audio_guide.publishing.writer.Writer.stream",
               "audio_guide.publishing.writer.Writer.by_tool", "audio_guide.system_calls.fsync_tree")
        warm = build(options)
    assert warm.unchanged == ["journey-through-healing"]
    assert (warm.stats.synthesized, warm.stats.cached, warm.stats.engine_calls) == (0, 0, 0)
    assert warm.editions == cold.editions  # as published, from the record
    # Not one file written, replaced or touched, in the output or the cache (but the record's own).
    assert files(options.out_dir) == published
    assert {k: v for k, v in files(options.cache_dir).items() if not k.startswith("published/")} == \
        {k: v for k, v in cached.items() if not k.startswith("published/")}


@pytest.mark.parametrize("change", ["touched file", "missing file", "extra file", "code", "base URL", "site",
                                    "record"])
def test_a_rebuild_redoes_a_guide_whose_inputs_or_files_changed(tmp_path, monkeypatch, change):
    content = copy_content(tmp_path)
    options = BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", jobs=2)
    build(options)
    good = tree(options.out_dir)
    folder = options.out_dir / "journey-through-healing"
    transcript = sorted((folder / "transcripts").glob("*.txt"))[2]
    if change == "touched file":  # same size, one byte different
        data = bytearray(transcript.read_bytes())
        data[10] ^= 0x20
        transcript.write_bytes(bytes(data))
    elif change == "missing file":
        transcript.unlink()
    elif change == "extra file":
        (folder / "notes.txt").write_text("not ours")
    elif change == "code":  # as if audio_guide itself had changed
        monkeypatch.setattr("audio_guide.publishing.edition.code_identity", lambda: "another version")
    elif change == "base URL":
        options = BuildOptions(**{**options.__dict__, "base_url": "https://listen.example.org/guides"})
    elif change == "site":
        options = BuildOptions(**{**options.__dict__, "site": Site(clinic_name="Rosewood Clinic")})
    else:  # a damaged record is no record
        [path] = (tmp_path / "cache" / "published").glob("*.json")
        path.write_text(path.read_text()[:100])
    again = build(options)
    assert again.unchanged == [] and again.stats.cached == 6 and again.stats.synthesized == 0
    if change in ("base URL", "site"):
        assert tree(options.out_dir) != good
    else:
        assert tree(options.out_dir) == good  # made whole again
    assert build(options).unchanged == ["journey-through-healing"]  # and then left alone


def test_one_edit_speaks_one_sentence_encodes_one_section_and_rewrites_only_what_shows_it(tmp_path, monkeypatch):
    content = copy_content(tmp_path)
    options = BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", jobs=1)
    build(options)
    before = files(options.out_dir)
    guide = content / "journey-through-healing" / "guide.md"
    guide.write_text(guide.read_text().replace("what you need to heal.", "what you need to heal well."))
    encodes = []
    encode = codecs.encode_mp3
    monkeypatch.setattr("audio_guide.audio.codecs.encode_mp3", lambda *args: encodes.append(1) or encode(*args))

    edited = build(options)  # jobs=1: rendered in this process, where encodes are counted
    assert edited.unchanged == []
    assert edited.stats.synthesized == 1 and edited.stats.cached == 5
    assert edited.stats.engine_calls == 1  # the edited sentence; the others come from the utterance cache
    assert len(encodes) == 1
    episode = edited.editions[0].episodes[3]
    assert any(line.text.endswith("heal well.") for line in episode.lines)
    after = files(options.out_dir)
    assert after.keys() == before.keys()
    rewritten = {name for name in after if after[name] != before[name]}
    slug = "journey-through-healing"
    its_files = {f"{slug}/{name}" for name in astuple(episode.files)}
    lists_it = {f"{slug}/{name}" for name in (full_audio(slug), PAGE_FILE, FEED_FILE, MANIFEST_FILE, HANDOUT_FILE)}
    assert its_files | {f"{slug}/{full_audio(slug)}", f"{slug}/{FEED_FILE}"} <= rewritten <= its_files | lists_it
    # The rest are the very files published before (the same inodes), whole.
    assert tree(options.out_dir) == tree(_clean_build(options, tmp_path))


def _clean_build(options, tmp_path):
    fresh = BuildOptions(**{**options.__dict__, "out_dir": tmp_path / "fresh", "cache_dir": tmp_path / "fresh-cache"})
    build(fresh)
    return fresh.out_dir


def test_cache_prune_removes_what_no_published_edition_was_made_from(tmp_path):
    content = copy_content(tmp_path)
    options = BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", jobs=2)

    def cached():
        return {p.relative_to(options.cache_dir).as_posix() for p in options.cache_dir.rglob("*") if p.is_file()}

    build(options)
    before = cached()
    guide = content / "journey-through-healing" / "guide.md"
    guide.write_text(guide.read_text().replace("what you need to heal.", "what you need to heal well."))
    build(options)
    grown = cached()
    assert len(grown - before) >= 3  # the edited section's audio and its record, and the new sentence

    dry = run_cli("cache", "prune", "--cache-dir", str(options.cache_dir), "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("Would remove ") and cached() == grown
    done = run_cli("cache", "prune", "--cache-dir", str(options.cache_dir))
    assert done.returncode == 0 and "which the 1 published guide folder in use were made from" in done.stdout
    removed = grown - cached()
    # The section and the sentence as they were before the edit, and nothing this edition was made from:
    assert {name.rsplit(".", 1)[1] for name in removed} >= {"mp3", "json", "speech"} and removed <= before
    again = build(BuildOptions(**{**options.__dict__, "out_dir": tmp_path / "elsewhere"}))
    assert again.stats.synthesized == 0 and again.stats.cached == 6

    shutil.rmtree(options.out_dir)
    shutil.rmtree(tmp_path / "elsewhere")
    run_cli("cache", "prune", "--cache-dir", str(options.cache_dir))
    assert cached() == set()  # no edition left, no record of one either


def test_changing_the_rate_or_voice_changes_the_cache_key(tmp_path):
    content = copy_content(tmp_path)
    base = dict(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", jobs=2)
    build(BuildOptions(**base))
    slower = build(BuildOptions(**base, rate=130))
    assert slower.stats.synthesized == 6
    assert slower.editions[0].episodes[0].duration_ms > 0


def test_silent_engine_is_retried_then_reported(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.txt").write_text("previous edition")
    done = run_cli("build", str(CONTENT), "--out", str(out), "--cache-dir", str(tmp_path / "c"),
                   "--engine", "tests.fake_engines:SilentEngine", "--jobs", "1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "section 1 of 6, 'Introduction': the speech engine failed twice" in last
    assert "returned no speech" in last
    assert [p.name for p in out.iterdir()] == ["previous.txt"]


def test_hanging_engine_times_out(tmp_path):
    options = BuildOptions(content_dir=CONTENT, out_dir=tmp_path / "out", cache_dir=tmp_path / "c", jobs=2,
                           engine="tests.fake_engines:HangingEngine", timeout=2)
    started = time.monotonic()
    with pytest.raises(EngineError, match=r"section \d of 6.*failed twice \(no answer from the speech engine "
                                          r"within 2 s\)"):
        build(options)
    assert time.monotonic() - started < 30
    assert not (tmp_path / "out" / "journey-through-healing").exists()


def test_crashed_engine_is_retried_once(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAKY_MARKER", str(tmp_path / "crashed"))
    options = BuildOptions(content_dir=CONTENT, out_dir=tmp_path / "out", cache_dir=tmp_path / "c", jobs=2,
                           engine="tests.fake_engines:FlakyEngine")
    result = build(options)
    assert (tmp_path / "crashed").exists()
    assert result.stats.retries == 1 and result.stats.synthesized == 6


def test_a_damaged_cache_entry_is_rendered_again_never_published(tmp_path):
    options = BuildOptions(content_dir=CONTENT, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", jobs=2)
    build(options)
    good = tree(options.out_dir)
    damaged = [sorted((tmp_path / "cache").rglob("*.mp3"))[2], sorted((tmp_path / "cache").rglob("*.pdf"))[0]]
    for path in damaged:  # same size, one byte different: only a checksum can tell
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    shutil.rmtree(options.out_dir)  # else the build would leave the published edition as it is
    again = build(options)
    assert again.stats.synthesized == 1 and again.stats.cached == 5
    assert tree(options.out_dir) == good


@pytest.mark.parametrize("engine, wrong", [("NoiseEngine", "returned noise instead of speech"),
                                           ("GarbledEngine", "returned audio that is not whole 16-bit samples")])
def test_garbage_from_the_engine_is_detected_retried_and_reported(tmp_path, engine, wrong):
    out = tmp_path / "out"
    done = run_cli("build", str(CONTENT), "--out", str(out), "--cache-dir", str(tmp_path / "c"),
                   "--engine", f"tests.fake_engines:{engine}", "--jobs", "2")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "section 1 of 6, 'Introduction': the speech engine failed twice" in last and wrong in last
    assert "retrying" in done.stderr  # each section got its second chance
    assert not out.exists() or not any(out.iterdir())


def test_one_failing_section_keeps_the_others_work(tmp_path, monkeypatch):
    options = BuildOptions(content_dir=CONTENT, out_dir=tmp_path / "out", cache_dir=tmp_path / "c", jobs=2,
                           engine="tests.fake_engines:OneBadSectionEngine")
    monkeypatch.setenv("BAD_SECTION", "Section 3 of")
    with pytest.raises(EngineError, match=r"section 3 of 6, 'Physical Recovery After Miscarriage': the speech "
                                          r"engine failed twice \(.*returned noise instead of speech"):
        build(options)
    monkeypatch.delenv("BAD_SECTION")
    again = build(options)
    assert again.stats.synthesized == 1 and again.stats.cached == 5
