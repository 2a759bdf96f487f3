"""Engines that misbehave, for the fault tests (used as --engine tests.fake_engines:Name).

Each wraps the real espeak-ng engine so that voices and versions are real.
"""

from __future__ import annotations

import os
import time

from audio_guide.engines import Speech
from audio_guide.engines.espeak import EspeakEngine


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
