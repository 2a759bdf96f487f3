"""Speech engines behind one small contract, found by name.

An engine turns one utterance into 16-bit mono PCM and reports where each
word starts in that audio (engine timings, in integer milliseconds). Engines
are instantiated once per worker process: some (libespeak-ng) may only be
initialised once per process.

A name that is not built in may be ``package.module:ClassName``; that is how
tests plug in engines that hang, crash or return silence.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from ..errors import EngineError


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
    name: str

    def version(self) -> str:
        """Everything about the engine that changes its audio (it keys the cache)."""

    def voices(self) -> list[VoiceInfo]: ...

    def default_voice(self, language: str) -> str: ...

    def synthesize(self, text: str, voice: str, rate: int) -> Speech:
        """Speak ``text`` with ``voice`` at ``rate`` words per minute."""


_BUILT_IN = {
    "pyttsx3": "audio_guide.engines.pyttsx3_engine:Pyttsx3Engine",
    "espeak-ng": "audio_guide.engines.espeak:EspeakEngine",
}
DEFAULT_ENGINE = "pyttsx3"
_instances: dict[str, Engine] = {}


def engine_names() -> list[str]:
    return list(_BUILT_IN)


def load_engine_class(name: str) -> type:
    spec = _BUILT_IN.get(name, name)
    module_name, _, class_name = spec.partition(":")
    if not class_name:
        raise EngineError(
            f"unknown speech engine '{name}': use one of {', '.join(_BUILT_IN)} "
            "(or package.module:ClassName for an engine of your own)"
        )
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise EngineError(f"cannot load speech engine '{name}': {exc}") from None


def get_engine(name: str) -> Engine:
    """The process's one instance of engine ``name``."""
    if name not in _instances:
        _instances[name] = load_engine_class(name)()
    return _instances[name]
