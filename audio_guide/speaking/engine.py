"""Speech engines behind one small contract, found by name.

An engine turns one utterance into 16-bit mono PCM and reports where each
word starts in that audio (engine timings, in integer milliseconds). Engines
are instantiated once per worker process: some (libespeak-ng) may only be
initialised once per process.

A name that is not built in may be ``package.module:ClassName``, a subclass
of ``EngineBase``; that is how tests plug in engines that hang, crash or
return silence.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import ConfigError, EngineError


@dataclass(frozen=True)
class Speech:
    samples: bytes  # signed 16-bit little-endian mono PCM
    sample_rate: int
    # (character offset in the text, ms from the start of samples) of each
    # word the engine reported; empty if it reports none
    words: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class VoiceInfo:
    name: str  # what --voice and the front matter's 'voice' take
    language: str
    description: str
    # Engines whose voices are files (Piper) say which file, and what
    # identifies its bytes: the fingerprint keys the cache, the path does not
    # (moving a project or a virtual environment changes no audio).
    path: str = ""
    fingerprint: str = ""


_TOKEN = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")


def spoken_words(text: str) -> list[tuple[int, str]]:
    """(character offset, word) of each word of ``text`` an engine answers
    for with a word event: what white space separates and holds a letter or
    a digit (a lone dash or quotation mark is not a word)."""
    return [(m.start(), m.group()) for m in _TOKEN.finditer(text) if _ALNUM.search(m.group())]


def speech_timeout(texts) -> float:
    """Seconds a healthy engine (and the encoder after it) could need for
    ``texts``, with a wide margin."""
    return 60 + sum(len(text.split()) for text in texts) * 0.2


# Speech crosses zero in about one sample in ten (0.09 to 0.14 measured over
# the guide); noise in every other one. Far above the one, far below the other.
_MAX_ZERO_CROSSINGS = 0.35


def garbage(speech: Speech, text: str) -> str | None:
    """What is wrong with ``speech`` if it cannot be the engine speaking
    ``text`` (broken samples, impossible word events, noise); else None."""
    if len(speech.samples) % 2:
        return "audio that is not whole 16-bit samples"
    if not 8000 <= speech.sample_rate <= 96000:
        return f"a sample rate of {speech.sample_rate} Hz"
    duration_ms = len(speech.samples) // 2 * 1000 // speech.sample_rate
    offsets, times = [w[0] for w in speech.words], [w[1] for w in speech.words]
    if any(not 0 <= o <= len(text) for o in offsets) or any(not 0 <= t <= duration_ms for t in times):
        return "word events outside the text or the audio"
    if times != sorted(times):
        return "word events out of order"
    import numpy as np  # here: the engine process itself never needs it

    pcm = np.frombuffer(speech.samples, dtype="<i2")
    if len(pcm) > 1 and np.mean(np.signbit(pcm[1:]) != np.signbit(pcm[:-1])) > _MAX_ZERO_CROSSINGS:
        return "noise instead of speech"
    return None


class Engine(Protocol):
    """What the build, ``say`` and ``voices`` use of an engine. ``EngineBase``
    gives every member but ``version``, ``voices`` and ``synthesize`` a default."""

    name: str
    # Whether lexicon phonemes ([[...]], espeak-ng mnemonics) reach it as
    # phonemes; otherwise it is given the lexicon's respelling.
    takes_phonemes: bool
    # Whether a build should, by default, use one worker process whose
    # speakers (forked, as many at once as there are cores) share one loaded
    # voice, rather than a worker per core each loading its own.
    one_worker: bool

    def version(self) -> str:
        """Everything about the engine that changes its audio (it keys the cache)."""

    def voices(self, near: Path | None = None) -> list[VoiceInfo]:
        """Every voice it has; ``near`` is the content folder, beside which a
        ``voices/`` folder may hold more (for engines whose voices are files)."""

    def find_voice(self, wanted: str, near: Path | None = None) -> VoiceInfo | None:
        """The voice ``wanted`` names (any case), or None."""

    def default_voice(self, language: str, near: Path | None = None) -> str:
        """The name of its voice for ``language``; an EngineError saying how
        to get one if it has none."""

    @classmethod
    def preload(cls, voice: str) -> None:
        """Load ``voice`` (as ``synthesize`` takes it) in a process that forks
        the speakers but never speaks itself (isolation.py's server), without
        starting an engine there: each utterance then starts from a loaded,
        pristine voice instead of loading it again."""

    def prepare(self, voice: str, rate: int) -> None:
        """Get ready to speak with ``voice`` at ``rate``, before the forks."""

    def synthesize(self, text: str, voice: str, rate: int) -> Speech:
        """Speak ``text`` with ``voice`` (a name, or a voice's path where it
        has one) at ``rate`` words per minute."""


class EngineBase:
    """Defaults for the optional members of ``Engine``."""

    name = "engine"
    takes_phonemes = False
    one_worker = False

    def voices(self, near: Path | None = None) -> list[VoiceInfo]:
        raise NotImplementedError

    def find_voice(self, wanted: str, near: Path | None = None) -> VoiceInfo | None:
        return next((v for v in self.voices(near) if v.name.lower() == wanted.lower()), None)

    def default_voice(self, language: str, near: Path | None = None) -> str:
        """The voice whose language is ``language``, else the first for its
        primary subtag (en-AU falls back to en)."""
        voices = self.voices(near)
        wanted = language.lower().replace("_", "-")
        for candidate in (wanted, wanted.split("-")[0]):
            for voice in voices:
                if voice.language.lower().replace("_", "-") == candidate or voice.name.lower() == candidate:
                    return voice.name
        for voice in voices:  # a regional voice for the bare language: en_US for en
            if voice.language.lower().replace("_", "-").split("-")[0] == wanted.split("-")[0]:
                return voice.name
        raise EngineError(f"{self.name} has no voice for language '{language}': "
                          f"run 'audio-guide voices --engine {self.name}' and set 'voice' in the guide")

    @classmethod
    def preload(cls, voice: str) -> None:
        pass

    def prepare(self, voice: str, rate: int) -> None:
        pass


def resolve_voice(engine: Engine, wanted: str | None, language: str, near: Path | None, where: str) -> VoiceInfo:
    """The voice a build (and ``say``) speaks with: ``wanted`` if given (from
    ``where``: '--voice', or the guide's file), else the engine's default for
    ``language``. ``wanted`` is a voice's name in any case, or a language tag
    as people write them (en-GB, es-419, pt_BR) for that language's default
    voice. One function, so that ``say`` speaks as the build does."""
    name = wanted or engine.default_voice(language, near)
    found = engine.find_voice(name, near)
    if found is None and wanted and _LANGUAGE_TAG.fullmatch(wanted):
        try:
            found = engine.find_voice(engine.default_voice(wanted, near), near)
        except EngineError:
            pass
    if found is None:
        where = where if wanted else f"the default voice for language '{language}'"
        raise ConfigError(f"{where}: the {engine.name} engine has no voice '{name}'; "
                          f"run 'audio-guide voices --engine {engine.name}' to list the ones it has")
    return found


def keyed_version(engine: Engine, voice: VoiceInfo) -> str:
    """What a Job carries as its engine's version: the engine's own, and the
    fingerprint of the voice's files where it has them."""
    return " ".join(filter(None, (engine.version(), voice.fingerprint)))


# BCP 47's shape, loosely: a language and optional subtags (region, script, variant).
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


_BUILT_IN = {
    "pyttsx3": "audio_guide.speaking.pyttsx3_engine:Pyttsx3Engine",
    "espeak-ng": "audio_guide.speaking.espeak:EspeakEngine",
    "piper": "audio_guide.speaking.piper:PiperEngine",
}
DEFAULT_ENGINE = "pyttsx3"
_instances: dict[str, Engine] = {}


def engine_names() -> list[str]:
    return list(_BUILT_IN)


def load_engine_class(name: str) -> type[EngineBase]:
    spec = _BUILT_IN.get(name, name)
    module_name, _, class_name = spec.partition(":")
    if not class_name:
        raise EngineError(
            f"unknown speech engine '{name}': use one of {', '.join(_BUILT_IN)} "
            "(or package.module:ClassName for an engine of your own)"
        )
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise EngineError(f"cannot load speech engine '{name}': {exc}") from None
    # Checked here, once, rather than failing later in a speech process with
    # an AttributeError on a member the class never had (EngineBase gives the
    # optional ones their defaults).
    if not (isinstance(found, type) and issubclass(found, EngineBase)):
        raise EngineError(f"speech engine '{name}' is not an engine class: subclass "
                          "audio_guide.speaking.engine.EngineBase and give it version, voices and synthesize")
    return found


def get_engine(name: str) -> Engine:
    """The process's one instance of engine ``name``."""
    if name not in _instances:
        _instances[name] = load_engine_class(name)()
    return _instances[name]
