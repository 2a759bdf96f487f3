"""One utterance's raw speech as the per-utterance cache stores it, and as a
cluster carries it: compressed, losslessly.

An entry is one zlib stream (level 1, run-length matching only) of a JSON
header line (sample rate, word events) and the samples, each as its
difference from the one before (wrapping in 16 bits), low bytes and high
bytes in two planes of their own. Speech changes slowly from sample to
sample, so the differences are small and their high bytes nearly constant:
the planes compress to 0.62 of the raw samples with espeak-ng and 0.59 with
Piper, at about 100 MB/s. Plain zlib on the samples keeps 0.75. zlib's
level 6 gains 0.02 to 0.03 for 3 to 5 times the time, lzma and bz2 over the
same planes 0.04 to 0.09 for 7 to 40 times, and a cold build pays that for
every utterance. FLAC keeps 0.43 to 0.47 of Piper's speech but 0.54 to 0.58
of espeak-ng's, at about the same speed, for a dependency with a native
library: with the default engine, not enough to earn its place. zlib's own
checksum covers the header and the samples, so damage is found even where
no SHA-256 is checked (speech carried to a cluster worker).
"""

from __future__ import annotations

import json
import zlib

import numpy as np

from .engine import Speech

# Keys every speech entry, in place of the pipeline's version: bump it only
# when what an engine's raw speech entry holds changes (how an utterance is
# spoken, what its word events mean, or this encoding), never for mastering
# or the MP3, so that those do not speak every utterance again.
# 1: compressed as above, word offsets in characters
SPEECH_FORMAT = "1"
SUFFIX = "speech"  # not the uncompressed entries' "pcm": those are never read again


def encode_speech(speech: Speech) -> bytes:
    """``speech`` as a cache entry; ``decode_speech`` gives it back, bit for bit."""
    pcm = np.frombuffer(speech.samples, dtype="<i2")
    residual = pcm.copy()
    residual[1:] -= pcm[:-1]  # wraps, as the running sum that undoes it does
    planes = residual.view(np.uint8).reshape(-1, 2).T.tobytes()
    header = json.dumps({"rate": speech.sample_rate, "words": speech.words}).encode()
    # Run-length matching alone finds the silences and the high bytes' repeats;
    # level 1's full search stores within 0.01 of it in 1.5 times the time.
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    return packer.compress(header + b"\n") + packer.compress(planes) + packer.flush()


def decode_speech(data: bytes) -> Speech | None:
    """The speech in a cache entry, or None if the entry is damaged or cut short."""
    try:
        plain = zlib.decompress(data)
        end = plain.index(b"\n")
        header = json.loads(plain[:end])
        rate, words = header["rate"], tuple(map(tuple, header["words"]))
        planes = np.frombuffer(plain, np.uint8, offset=end + 1)
        if not isinstance(rate, int) or len(planes) % 2:
            return None
    except (zlib.error, ValueError, KeyError, TypeError):
        return None
    half = len(planes) // 2
    interleaved = np.empty(len(planes), np.uint8)  # filled by slices: a transposed copy is ten times slower
    interleaved[0::2], interleaved[1::2] = planes[:half], planes[half:]
    return Speech(np.cumsum(interleaved.view("<i2"), dtype="<i2").tobytes(), rate, words)
