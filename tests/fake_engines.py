"""Engines of one's own, given as --engine tests.fake_engines:Name.

``OwnEngine`` behaves, as an engine a user writes should: the contract suite
(test_engines.py) proves that such an engine works through the build. The
others misbehave on purpose, for the fault tests; each wraps the real
espeak-ng engine so that voices and versions are real and only its speech is
bad. ``DuckEngine`` has an engine's members without subclassing EngineBase,
and is refused.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from audio_guide.speaking.engine import EngineBase, Speech, VoiceInfo
from audio_guide.speaking.espeak import EspeakEngine

# The engines here that behave: the contract suite speaks with them.
WELL_BEHAVED = ("OwnEngine",)


class OwnEngine(EngineBase):
    """An engine written as a user would write one: EngineBase's defaults for
    finding voices, choosing one for a language and preload, no phonemes
    (it is given the lexicon's respellings), and espeak-ng held rather than
    inherited, as any other speech library would be."""

    name = "own"

    def __init__(self):
        self._espeak = EspeakEngine()

    def version(self) -> str:
        return f"own 1 over {self._espeak.version()}"

    def voices(self, near: Path | None = None) -> list[VoiceInfo]:
        return self._espeak.voices(near)

    def prepare(self, voice: str, rate: int) -> None:
        self._espeak.prepare(voice, rate)  # the voice loaded once, before the speakers fork

    def synthesize(self, text: str, voice: str, rate: int) -> Speech:
        return self._espeak.synthesize(text, voice, rate)


class DuckEngine:
    """Every member an engine has, but no EngineBase: refused when loaded."""

    name = "duck"
    takes_phonemes = False
    one_worker = False

    def version(self) -> str:
        return "duck 1"

    def voices(self, near=None):
        return [VoiceInfo("quack", "en", "a duck")]

    def synthesize(self, text, voice, rate):
        return Speech(b"\0\0" * 22050, 22050, ())


class HangingEngine(EspeakEngine):
    name = "hanging"

    def synthesize(self, text, voice, rate):
        time.sleep(3600)


class HangsOnCueEngine(EspeakEngine):
    """Hangs on a text that says "Hang here", and speaks as espeak-ng
    otherwise: what a timeout kills must be that request, not its template."""

    name = "hangs-on-cue"

    def synthesize(self, text, voice, rate):
        if "Hang here" in text:
            time.sleep(3600)
        return super().synthesize(text, voice, rate)


class CrashesOnCueEngine(EspeakEngine):
    """Dies of a segmentation fault, as a C library does, on a text that says
    "Crash here", and speaks as espeak-ng otherwise."""

    name = "crashes-on-cue"

    def synthesize(self, text, voice, rate):
        if "Crash here" in text:
            os.kill(os.getpid(), signal.SIGSEGV)
        return super().synthesize(text, voice, rate)


class StuckStartingEngine(EspeakEngine):
    """Hangs once while loading its voice, when $STUCK_MARKER names a file
    not yet made (it makes it); like espeak-ng otherwise."""

    name = "stuck-starting"

    def prepare(self, voice, rate):
        marker = os.environ.get("STUCK_MARKER")
        if marker:
            try:  # claim the one hang atomically
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                time.sleep(3600)
            except FileExistsError:
                pass
        super().prepare(voice, rate)


class SilentEngine(EspeakEngine):
    name = "silent"

    def synthesize(self, text, voice, rate):
        speech = super().synthesize(text, voice, rate)
        return Speech(bytes(len(speech.samples)), speech.sample_rate, speech.words)


class FlakyEngine(EspeakEngine):
    """Crashes once for the first section it is asked to speak; the marker
    file (FLAKY_MARKER) remembers across worker processes."""

    name = "flaky"

    def synthesize(self, text, voice, rate):
        try:  # claim the one crash atomically: sections are spoken in parallel
            os.close(os.open(os.environ["FLAKY_MARKER"], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return super().synthesize(text, voice, rate)
        raise RuntimeError("simulated engine crash")


class NoiseEngine(EspeakEngine):
    """Returns full-scale noise as long as the speech would have been, with
    the speech's own word events: garbage that looks plausible by length."""

    name = "noise"

    def synthesize(self, text, voice, rate):
        speech = super().synthesize(text, voice, rate)
        return Speech(os.urandom(len(speech.samples)), speech.sample_rate, speech.words)


class GarbledEngine(EspeakEngine):
    """Returns a byte too many (not whole 16-bit samples) and word events
    that point past the end of the text and the audio."""

    name = "garbled"

    def synthesize(self, text, voice, rate):
        speech = super().synthesize(text, voice, rate)
        words = tuple((char + len(text), ms + 10**6) for char, ms in speech.words)
        return Speech(speech.samples + b"\0", speech.sample_rate, words)


class OneBadSectionEngine(EspeakEngine):
    """Speaks noise for the section that $BAD_SECTION names ("Section 3 of"),
    and like espeak-ng otherwise: the rest of a build must survive it."""

    name = "one-bad-section"

    def synthesize(self, text, voice, rate):
        speech = super().synthesize(text, voice, rate)
        bad = os.environ.get("BAD_SECTION")
        if bad and bad in text:
            return Speech(os.urandom(len(speech.samples)), speech.sample_rate, speech.words)
        return speech
