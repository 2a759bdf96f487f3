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
