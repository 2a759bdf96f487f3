"""Mastering meets the podcast target on peaky speech too, measured by
ffmpeg's EBU R128 meter (a second instrument, not our own); the meter reads
the standard's test tone, and its filters equal a plain sample-by-sample
run of them."""

from __future__ import annotations

import re
import subprocess
import wave

import numpy as np
import pytest

from audio_guide.audio.loudness import (_BLOCK, PEAK_CEILING_DBFS, _filter_chunk, _k_weighting, _run_sections,
                                        _running_mean, _running_min, integrated_loudness, master)

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


@pytest.mark.parametrize("rate", [16000, 22050, 24000, 48000])
def test_a_full_scale_sine_reads_as_the_standard_says(rate):
    """BS.1770: a 997 Hz sine at 0 dBFS in one channel reads -3.01 LKFS."""
    t = np.arange(rate * 5) / rate
    sine = np.sin(2 * np.pi * 997 * t).astype(np.float32)
    assert abs(integrated_loudness(sine, rate) - -3.01) < 0.05
    assert abs(integrated_loudness(sine * np.float32(0.1), rate) - -23.01) < 0.05


def test_the_block_filter_equals_the_filters_run_sample_by_sample():
    """Across blocks, and across chunks from the state carried between them."""
    rate = 22050
    sections = _k_weighting(rate)
    x = np.random.default_rng(3).standard_normal(30000).astype(np.float32) * np.float32(0.1)
    x[5000:9000] = 0
    expected, _ = _run_sections(sections, x.astype(np.float64).tolist(), [0.0] * 4)
    chunk, state, filtered = 200 * _BLOCK, None, []
    for start in range(0, len(x), chunk):
        part, state = _filter_chunk(sections, x[start:start + chunk], state)
        filtered.append(part)
    assert np.abs(np.concatenate(filtered) - np.array(expected)).max() < 1e-5  # float32's rounding, not more


@pytest.mark.parametrize("length", [1, 5, 440, 441, 442, 5000])
def test_the_limiters_running_minimum_and_mean_take_each_samples_neighbours(length):
    window = 441
    x = np.random.default_rng(length).random(length).astype(np.float32)
    neighbours = np.lib.stride_tricks.sliding_window_view(np.pad(x, window // 2, mode="edge"), window)
    assert np.array_equal(_running_min(x, window), neighbours.min(axis=1))
    assert np.allclose(_running_mean(x, window), neighbours.mean(axis=1, dtype=np.float64), atol=1e-6)
