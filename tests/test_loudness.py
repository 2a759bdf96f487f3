"""Mastering meets the podcast target on peaky speech too, measured by
ffmpeg's EBU R128 meter (a second instrument, not our own)."""

from __future__ import annotations

import re
import subprocess
import wave

import numpy as np

from audio_guide.audio.loudness import PEAK_CEILING_DBFS, master

from .conftest import require_tool

RATE = 22050


def _peaky_speech(seconds: float = 20) -> np.ndarray:
    """Voiced noise in syllables, with a plosive click every 150 ms: the
    shape of a neural voice's speech that a peak limiter bites into."""
    rng = np.random.default_rng(7)
    t = np.arange(int(RATE * seconds)) / RATE
    voiced = rng.normal(0, 0.03, t.size) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2)
    clicks = np.zeros(t.size)
    for start in range(0, t.size - 60, int(RATE * 0.15)):
        clicks[start:start + 40] = 0.5 * np.hanning(40)
    return np.round((voiced + clicks) * 32767).astype(np.int16)


def test_mastering_makes_up_what_the_limiter_takes(tmp_path):
    mastered = master(_peaky_speech(), RATE, target=-19.0)
    assert np.abs(mastered).max() / 32768 <= 10 ** (PEAK_CEILING_DBFS / 20) + 1e-3
    path = tmp_path / "mastered.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(mastered.tobytes())
    report = subprocess.run([require_tool("ffmpeg"), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128",
                             "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", report)[-1])
    assert abs(integrated - -19.0) <= 0.3, integrated
