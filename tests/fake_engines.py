"""Engines that misbehave, for the fault tests (used as --engine tests.fake_engines:Name).

Each wraps the real espeak-ng engine so that voices and versions are real.
"""

from __future__ import annotations

import os
import time

from audio_guide.speaking.engine import Speech
from audio_guide.speaking.espeak import EspeakEngine


class HangingEngine(EspeakEngine):
    name = "hanging"

    def synthesize(self, text, voice, rate):
        time.sleep(3600)


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
