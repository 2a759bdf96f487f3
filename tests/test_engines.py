"""One contract, applied to every built-in engine, run for real."""

from __future__ import annotations

import pytest

from audio_guide.speaking.engine import EngineBase, engine_names, get_engine
from audio_guide.speaking.isolation import speak_all
from audio_guide.errors import EngineError


@pytest.fixture(params=engine_names())
def engine(request):
    if request.param == "piper":
        pytest.importorskip("piper", reason="the natural voice: pip install 'audio-guide[piper]'")
    return request.param


def test_contract_members(engine):
    """Every member the build, 'say' and 'voices' use, on every engine."""
    e = get_engine(engine)
    assert isinstance(e, EngineBase)
    assert isinstance(e.takes_phonemes, bool) and e.version()
    voice = e.default_voice("en")
    found = e.find_voice(voice.upper())
    assert found is not None and found.name == voice and found in e.voices()
    e.prepare(voice, 150)
    type(e).preload(found.path or found.name)


def test_speaks_with_word_timings(engine):
    e = get_engine(engine)
    voice = e.default_voice("en")
    [speech] = speak_all(engine, voice, 150, ["Be gentle with yourself and rest."], 60)
    assert speech.sample_rate >= 16000
    seconds = len(speech.samples) / 2 / speech.sample_rate
    assert 1.0 < seconds < 6.0
    assert [char for char, _ in speech.words] == [0, 3, 10, 15, 24, 28]  # Be gentle with yourself and rest.
    assert [ms for _, ms in speech.words] == sorted(ms for _, ms in speech.words)


def test_rate_changes_the_pace(engine):
    voice = get_engine(engine).default_voice("en")
    slow, fast = speak_all(engine, voice, 120, ["Remember, healing takes time."] * 1, 60) + \
        speak_all(engine, voice, 240, ["Remember, healing takes time."], 60)
    assert len(slow.samples) > 1.5 * len(fast.samples)


def test_same_words_same_audio_in_fresh_processes(engine):
    voice = get_engine(engine).default_voice("en")
    texts = ["Seek support.", "Give yourself permission to feel whatever emotions arise."]
    assert speak_all(engine, voice, 150, texts, 60) == speak_all(engine, voice, 150, texts, 60)


def test_voices_and_version(engine):
    if engine == "piper":
        pytest.skip("espeak-ng's voices (Piper's: test_piper.py)")
    e = get_engine(engine)
    names = {v.name for v in e.voices()}
    assert {"en", "en-US", "es"} <= names
    assert e.default_voice("en-US") == "en-US" and e.default_voice("en-AU") == "en"
    assert "1.52" in e.version()


def test_unknown_voice_is_a_clear_error(engine):
    with pytest.raises(EngineError, match="has no voice 'xx-nowhere'"):
        speak_all(engine, "xx-nowhere", 150, ["Hello."], 60)


def test_unknown_engine():
    with pytest.raises(EngineError, match="unknown speech engine 'festival'"):
        get_engine("festival")
