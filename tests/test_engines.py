"""The engine contract (speaking/engine.py's ``Engine``) as one suite that
every engine passes: the built-in ones, run for real, whatever
``engine_names()`` lists (a new one is tested by being registered), and
engines of one's own given as ``package.module:Class`` (tests/fake_engines.py
says which of its engines behave). The engines there that misbehave on
purpose must still be engines: only their speech is bad, so they go through
the static part of the contract (what the build asks of an engine before it
speaks) and not the part that listens."""

from __future__ import annotations

import inspect
import os
import pickle
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from audio_guide import BuildOptions, build
from audio_guide.errors import ConfigError, EngineError
from audio_guide.say import speak
from audio_guide.speaking.engine import (
    Engine, EngineBase, Speech, VoiceInfo, engine_names, garbage, get_engine, load_engine_class, resolve_voice,
)
from audio_guide.speaking.isolation import speak_all

from . import fake_engines
from .conftest import ROOT, run_cli

OWN = [f"tests.fake_engines:{name}" for name in fake_engines.WELL_BEHAVED]
WELL_BEHAVED = [*engine_names(), *OWN]
MISBEHAVING = [f"tests.fake_engines:{name}" for name, found in vars(fake_engines).items()
               if isinstance(found, type) and issubclass(found, EngineBase)
               and found.__module__ == fake_engines.__name__ and name not in fake_engines.WELL_BEHAVED]
# Every member of Engine, each checked below; test_the_suite_checks_every_member
# fails when the Protocol gains one that this suite does not check.
MEMBERS = {"name", "takes_phonemes", "one_worker", "version", "voices", "find_voice", "default_voice", "preload",
           "prepare", "synthesize"}
TEXT = "Be gentle with yourself and rest."
SMALL = ROOT / "tests" / "fixtures" / "languages" / "small-steps"


def usable(name: str) -> str:
    if name == "piper":
        pytest.importorskip("piper", reason="the natural voice: pip install 'audio-guide[piper]'")
    return name


@pytest.fixture(params=WELL_BEHAVED)
def engine(request):
    """An engine that should speak well."""
    return usable(request.param)


@pytest.fixture(params=WELL_BEHAVED + MISBEHAVING)
def any_engine(request):
    """Any engine, whether or not it speaks well."""
    return usable(request.param)


def fresh_speech(name: str, voice: str, rate: int, text: str) -> tuple[str, Speech]:
    """(version, what synthesize returns) from a new instance in a new
    process, as the build's speakers get it: libespeak-ng may be started only
    once a process, and one instance may take over another's callback. Pickled
    back, so that the very types the engine returned are checked."""
    script = ("import pickle, sys\n"
              "from audio_guide.speaking.engine import load_engine_class\n"
              "name, voice, rate, text = pickle.load(sys.stdin.buffer)\n"
              "engine = load_engine_class(name)()\n"
              "engine.prepare(voice, rate)\n"
              "speech = engine.synthesize(text, voice, rate)\n"
              "pickle.dump((engine.version(), speech), sys.stdout.buffer)\n")
    done = subprocess.run([sys.executable, "-c", script], input=pickle.dumps((name, voice, rate, text)),
                          capture_output=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return pickle.loads(done.stdout)


# --- What the build asks of every engine before it speaks -------------------------


def test_the_suite_checks_every_member():
    declared = set(Engine.__annotations__) | {n for n in vars(Engine) if not n.startswith("_")}
    assert declared == MEMBERS
    assert MISBEHAVING and OWN  # the fakes were found


def test_is_an_engine_with_every_member(any_engine):
    cls = load_engine_class(any_engine)
    assert issubclass(cls, EngineBase)
    e = get_engine(any_engine)
    for member in MEMBERS:
        assert hasattr(e, member), member
    assert isinstance(e.name, str) and e.name.strip() == e.name and e.name
    if any_engine in engine_names():
        assert e.name == any_engine  # its messages name it as the user does
    assert isinstance(e.takes_phonemes, bool) and isinstance(e.one_worker, bool)
    # Called on the class, in a process that never starts an engine (isolation.py's server).
    assert isinstance(inspect.getattr_static(cls, "preload"), classmethod)


def test_version_says_what_changes_the_audio_and_stays_put(any_engine):
    e = get_engine(any_engine)
    version = e.version()
    assert isinstance(version, str) and version.strip()
    assert e.version() == version  # it keys the cache


def test_voices_are_listed_and_found_in_any_case(any_engine, tmp_path):
    e = get_engine(any_engine)
    voices = e.voices()
    assert voices and all(isinstance(v, VoiceInfo) for v in voices)
    assert all(isinstance(v.name, str) and v.name and isinstance(v.language, str) for v in voices)
    assert len({v.name for v in voices}) == len(voices)
    assert e.voices(tmp_path / "content") == voices  # no voices/ folder beside the content: nothing more
    voice = e.default_voice("en")
    found = e.find_voice(voice)
    assert found is not None and found.name == voice and found in voices
    for spelling in (voice.upper(), voice.lower(), voice.swapcase()):
        assert e.find_voice(spelling) == found, spelling
        assert e.find_voice(spelling, tmp_path / "content") == found, spelling
    assert e.find_voice("xx-nowhere") is None


def test_default_voice_for_a_language_or_how_to_get_one(any_engine, tmp_path):
    e = get_engine(any_engine)
    english = e.default_voice("en")
    assert e.default_voice("en", tmp_path / "content") == english
    assert e.find_voice(e.default_voice("en-AU")) is not None  # a regional tag falls back to its language
    with pytest.raises(EngineError, match=rf"{re.escape(e.name)} has no voice for language 'zz'"):
        e.default_voice("zz")


def test_preload_and_prepare_get_a_voice_ready(any_engine):
    e = get_engine(any_engine)
    found = e.find_voice(e.default_voice("en"))
    assert type(e).preload(found.path or found.name) is None
    assert e.prepare(found.name, 150) is None


def test_an_engine_that_is_not_an_engine_base_is_refused():
    for name in ("tests.fake_engines:DuckEngine", "tests.fake_engines:WELL_BEHAVED"):
        with pytest.raises(EngineError, match="subclass audio_guide.speaking.engine.EngineBase"):
            load_engine_class(name)
    done = run_cli("voices", "--engine", "tests.fake_engines:DuckEngine")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is not an engine class: subclass audio_guide.speaking.engine.EngineBase" in done.stderr


def test_unknown_engine():
    with pytest.raises(EngineError, match="unknown speech engine 'festival'"):
        get_engine("festival")


# --- Speech, from the engines that behave -------------------------------------------


def test_synthesize_gives_16_bit_mono_speech_with_word_events(engine):
    e = get_engine(engine)
    voice = e.default_voice("en")
    version, speech = fresh_speech(engine, voice, 150, TEXT)
    assert version == e.version()  # the same in every process: the cache is shared by them all
    assert type(speech) is Speech and type(speech.samples) is bytes and len(speech.samples) % 2 == 0
    assert type(speech.sample_rate) is int and 16000 <= speech.sample_rate <= 48000
    duration_ms = len(speech.samples) // 2 * 1000 // speech.sample_rate
    assert 1000 < duration_ms < 6000  # about two words a second: one channel, not two interleaved
    assert garbage(speech, TEXT) is None  # what the build refuses: bad samples or events, noise
    pcm = np.frombuffer(speech.samples, dtype="<i2").astype(np.float64)
    assert np.sqrt(np.mean(pcm**2)) > 32768 * 10 ** (-45 / 20)  # heard, not silence: above -45 dBFS
    assert type(speech.words) is tuple and all(type(w) is tuple and len(w) == 2 for w in speech.words)
    assert all(type(char) is int and type(ms) is int for char, ms in speech.words)
    assert [char for char, _ in speech.words] == [m.start() for m in re.finditer(r"\S+", TEXT)]
    times = [ms for _, ms in speech.words]
    assert times == sorted(times) and 0 <= times[0] and times[-1] < duration_ms
    # What the build gets, through the speech processes, is what it returned.
    assert speak_all(engine, voice, 150, [TEXT], 60) == [speech]


def test_rate_changes_the_pace(engine):
    voice = get_engine(engine).default_voice("en")
    slow, fast = speak_all(engine, voice, 120, ["Remember, healing takes time."], 60) + \
        speak_all(engine, voice, 240, ["Remember, healing takes time."], 60)
    assert len(slow.samples) > 1.5 * len(fast.samples)


def test_same_words_same_audio_in_fresh_processes(engine):
    voice = get_engine(engine).default_voice("en")
    texts = ["Seek support.", "Give yourself permission to feel whatever emotions arise."]
    assert speak_all(engine, voice, 150, texts, 60) == speak_all(engine, voice, 150, texts, 60)


def test_unknown_voice_is_a_clear_error(engine):
    with pytest.raises(EngineError, match="has no voice 'xx-nowhere'"):
        speak_all(engine, "xx-nowhere", 150, ["Hello."], 60)


@pytest.mark.parametrize("name", ["espeak-ng", "pyttsx3"])
def test_espeak_voices_and_version(name):
    """Not the contract: what the espeak-ng engines have (Piper's: test_piper.py)."""
    e = get_engine(name)
    names = {v.name for v in e.voices()}
    assert {"en", "en-US", "es"} <= names
    assert e.default_voice("en-US") == "en-US" and e.default_voice("en-AU") == "en"
    assert "1.52" in e.version()


def test_a_voice_as_people_type_it(any_engine):
    """A name in any case, or a language tag as people write it (en-GB,
    en_gb, EN): that language's default voice; neither: how to list them."""
    e = get_engine(any_engine)
    english = e.default_voice("en")
    for typed in ("en", "EN", "en-GB", "en-gb", "en_GB", english.upper()):
        assert resolve_voice(e, typed, "es", None, "--voice").language.lower().startswith("en"), typed
    with pytest.raises(ConfigError, match=rf"--voice: the {re.escape(e.name)} engine has no voice 'xx-YY'; "
                                          rf"run 'audio-guide voices --engine {re.escape(e.name)}'"):
        resolve_voice(e, "xx-YY", "en", None, "--voice")


@pytest.mark.parametrize("name", ["espeak-ng", "pyttsx3"])
def test_espeak_takes_language_tags_for_their_voices(name):
    e = get_engine(name)
    assert [resolve_voice(e, tag, "en", None, "--voice").name for tag in ("en-GB", "es-419", "ES_mx", "en-us")] \
        == ["en", "es-419", "es", "en-US"]


@pytest.mark.parametrize("name", OWN)
def test_an_engine_of_ones_own_builds_says_and_lists_voices(name, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(SMALL, content / "small-steps")
    (content / "small-steps" / "guide.es.md").unlink()
    result = build(BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                                jobs=1, engine=name))
    [edition] = result.editions
    assert result.stats.synthesized == len(edition.episodes) == 2
    assert all(episode.duration_ms > 1000 and episode.lines for episode in edition.episodes)
    spoken = speak(text="Rest when you can.", engine_name=name)
    assert spoken.voice == "en" and spoken.duration_ms > 500
    listed = run_cli("voices", "--engine", name, "--language", "es")
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[0] == "es" for line in listed.stdout.splitlines()[1:])
