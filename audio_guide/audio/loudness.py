"""Loudness: measure speech (BS.1770-4) and master it to the podcast target
with sample peaks under a ceiling.

Times are integer milliseconds; audio is numpy int16/float32 mono.
"""

from __future__ import annotations

import functools
import math

import numpy as np

# -16 LUFS integrated as heard is the podcast norm. Players play a mono file on
# both speakers, so the file itself measures 3 LU lower (BS.1770 counts one
# channel): aim the mono file at -19.
TARGET_LUFS = -19.0
# Limit sample peaks well below -1 dBTP, leaving room for what resampling and
# MP3 encoding add between samples; the encoded file's true peak is measured.
PEAK_CEILING_DBFS = -2.5
# LAME at these settings takes about 0.5 LU out of speech (measured on the
# decoded files with ffmpeg's ebur128); aim that much higher.
ENCODER_LOSS_LU = 0.5
_MAKEUP_ROUNDS = 4  # the shortfall halves or better each round; a round costs a measurement
_MAKEUP_FROM_LU = 0.5


def _k_weighting(rate: int) -> tuple[tuple[float, ...], ...]:
    """The two BS.1770 K-weighting biquads, designed for any sample rate
    (the standard gives coefficients for 48 kHz only), as second-order
    sections (b0, b1, b2, 1, a1, a2)."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    shelf_a = [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    high_b = [1.0, -2.0, 1.0]
    high_a = [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return tuple(float(c) for c in shelf_b + shelf_a), tuple(float(c) for c in high_b + high_a)


# The filter runs a block of samples at a time, as matrix products: numpy
# alone (no second library to import, which took most of a second) and as
# fast as a compiled loop over samples. The products are in float32, like the
# audio; the state each block starts in comes from the one before by a prefix
# scan, in float64 (the high-pass's poles lie close to 1).
_BLOCK = 32
_CHUNK = 1 << 16  # samples: bounds the float64 work arrays whatever the length


def _run_sections(sections, samples, state: list[float]) -> tuple[list[float], list[float]]:
    """The biquads in cascade, sample by sample (transposed direct form II):
    slow, and only ever run over one block, to derive the block matrices."""
    state, out = list(state), []
    for value in samples:
        for s, (b0, b1, b2, _, a1, a2) in enumerate(sections):
            y = b0 * value + state[2 * s]
            state[2 * s], state[2 * s + 1] = b1 * value - a1 * y + state[2 * s + 1], b2 * value - a2 * y
            value = y
        out.append(value)
    return out, state


@functools.lru_cache(maxsize=8)
def _block_matrices(sections) -> tuple[np.ndarray, ...]:
    """What one block does: its output from its input (``by_input``) and from
    the state it starts in (``by_state``); the state it leaves from its input
    (``leaves``) and from the state it started in (``carries``)."""
    order = 2 * len(sections)
    by_input, leaves = zip(*(_run_sections(sections, row, [0.0] * order) for row in np.eye(_BLOCK)))
    by_state, carries = zip(*(_run_sections(sections, [0.0] * _BLOCK, row) for row in np.eye(order)))
    return (np.array(by_input, np.float32), np.array(leaves, np.float32), np.array(by_state, np.float32),
            np.array(carries))


@functools.lru_cache(maxsize=None)
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _filter_chunk(sections, part: np.ndarray, state: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``part`` through the second-order ``sections`` in cascade, as float32,
    from ``state`` (None: at rest), and the state it leaves. Every part but
    the last must be a whole number of blocks."""
    by_input, leaves, by_state, carries = _block_matrices(sections)
    blocks = -(-len(part) // _BLOCK)
    u = np.zeros(blocks * _BLOCK, np.float32)
    u[:len(part)] = part
    u = u.reshape(blocks, _BLOCK)
    # The state entering each block: the part's first, then each block's own
    # contribution, to which every earlier one's is added in log2(blocks) steps.
    states = np.zeros((blocks + 1, len(carries)))
    if state is not None:
        states[0] = state
    states[1:] = u @ leaves
    step, power = 1, carries
    while step <= blocks:
        states[step:] += states[:-step] @ power
        step, power = 2 * step, power @ power
    y = u @ by_input
    y += states[:-1].astype(np.float32) @ by_state
    return y.ravel()[:len(part)], states[-1]


_DITHER = np.random.default_rng(0).standard_normal(48000, dtype=np.float32) * np.float32(1e-7)


def integrated_loudness(x: np.ndarray, rate: int) -> float:
    """BS.1770-4 gated integrated loudness of mono float audio in [-1, 1]."""
    step = rate // 10  # 400 ms blocks overlapping by 75%
    steps = len(x) // step
    if steps < 4:
        return -70.0
    sections = _k_weighting(rate)
    # Filtered a chunk at a time, each a whole number of steps and of blocks:
    # memory stays that of a chunk however long the section.
    whole = math.lcm(_BLOCK, step)
    chunk = whole * max(1, _CHUNK // whole)
    energy = np.empty(steps)
    state = None
    # numpy's BLAS would spread the filter's small products over every core
    # and keep its threads spinning between them, on the cores that speech
    # and encoding need (a fifth of a build's CPU): one thread, and only here.
    with _blas().limit(limits=1, user_api="blas"):
        for start in range(0, steps * step, chunk):
            part = x[start:min(start + chunk, steps * step)]
            # Noise at -140 dBFS (the same every time) keeps the filter out of
            # denormal numbers in silences, which are many times slower to compute.
            weighted, state = _filter_chunk(sections, part + np.resize(_DITHER, len(part)), state)
            energy[start // step:(start + len(part)) // step] = \
                np.square(weighted).reshape(-1, step).sum(axis=1, dtype=np.float64)
    blocks = np.convolve(energy, np.ones(4), mode="valid") / (4 * step)
    blocks = blocks[blocks > 10 ** ((-70 + 0.691) / 10)]
    if not len(blocks):
        return -70.0
    relative = -0.691 + 10 * np.log10(blocks.mean()) - 10
    gated = blocks[blocks > 10 ** ((relative + 0.691) / 10)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def _edge_padded(x: np.ndarray, window: int) -> np.ndarray:
    edge = window // 2
    return np.concatenate((np.full(edge, x[0], x.dtype), x, np.full(edge, x[-1], x.dtype)))


def _running_min(x: np.ndarray, window: int) -> np.ndarray:
    """The least value within ``window`` (odd) samples centred on each, the
    edges extended (van Herk / Gil-Werman: three passes whatever the window)."""
    padded = _edge_padded(x, window)
    rows = -(-len(padded) // window)
    tiled = np.full(rows * window, np.inf, x.dtype)
    tiled[:len(padded)] = padded
    tiled = tiled.reshape(rows, window)
    ahead = np.minimum.accumulate(tiled, axis=1).ravel()
    behind = np.minimum.accumulate(tiled[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(behind[:len(x)], ahead[window - 1:window - 1 + len(x)])


def _running_mean(x: np.ndarray, window: int) -> np.ndarray:
    """The mean of ``window`` (odd) samples centred on each, the edges extended."""
    sums = np.concatenate(([0.0], np.cumsum(_edge_padded(x, window), dtype=np.float64)))
    return ((sums[window:] - sums[:-window]) / window).astype(x.dtype)


def _limit(x: np.ndarray, ceiling_dbfs: float, rate: int) -> None:
    """Look-ahead peak limiter, in place: the gain at each sample never
    exceeds what the loudest sample within 10 ms needs, and changes smoothly."""
    ceiling = 10 ** (ceiling_dbfs / 20)
    over = np.flatnonzero(np.abs(x) > ceiling)
    if not len(over):
        return
    window = 2 * (rate // 100) + 1
    # The gain is 1 more than two windows away from any loud sample, so only
    # the stretches around loud samples (merged when close, so never
    # overlapping) need the filters.
    gaps = np.flatnonzero(np.diff(over) > 4 * window)
    for first, last in zip(np.r_[over[0], over[gaps + 1]], np.r_[over[gaps], over[-1]]):
        lo, hi = max(0, first - 2 * window), min(len(x), last + 2 * window + 1)
        need = np.minimum(1.0, ceiling / np.maximum(np.abs(x[lo:hi]), 1e-9)).astype(np.float32)
        x[lo:hi] *= _running_mean(_running_min(need, window), window)


def master(pcm: np.ndarray, rate: int, target: float = TARGET_LUFS + ENCODER_LOSS_LU) -> np.ndarray:
    """Bring int16 speech to ``target`` LUFS with sample peaks under the
    ceiling; the default aims so that the encoded MP3 meets the podcast target.
    Memory: three copies of the section, in all (a long one's can be large)."""
    x = pcm.astype(np.float32)
    x /= 32768
    measured = integrated_loudness(x, rate)
    if measured <= -70:
        raise ValueError("the speech is silent")
    # The limiter takes back loudness where speech is peaky (a neural voice's
    # plosives: 1.5 LU on a short episode): make it up, and limit again. A
    # shortfall under half an LU is left alone: the episode is well inside the
    # target's 1 LU, and its audio stays as it was.
    gain = target - measured
    for round_ in range(_MAKEUP_ROUNDS):
        y = x * np.float32(10 ** (gain / 20))
        _limit(y, PEAK_CEILING_DBFS, rate)
        short = target - integrated_loudness(y, rate)
        if short < (_MAKEUP_FROM_LU if round_ == 0 else 0.1):
            break
        gain += short
    del x
    y *= 32767
    np.round(y, out=y)
    np.clip(y, -32768, 32767, out=y)
    return y.astype(np.int16)
