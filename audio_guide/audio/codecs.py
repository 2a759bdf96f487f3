"""Codecs: encode speech once (MP3, AAC), find its frames, and join encoded
files without encoding again; wrap the AAC in an M4B audiobook.

Times are integer milliseconds; audio is numpy int16 mono.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import ToolError
from ..ffmpeg import run_ffmpeg

MP3_SAMPLE_RATE = 44100
MP3_BITRATE = "64k"
MP3_SAMPLES_PER_FRAME = 1152
AAC_BITRATE = "64k"
AAC_SAMPLES_PER_FRAME = 1024


def encode_mp3(pcm: np.ndarray, rate: int) -> bytes:
    """Encode mono int16 PCM as CBR MP3 with a LAME header and no tags.

    CBR keeps seeking exact in every player; 64 kb/s mono at 44.1 kHz is
    above Apple's minimum for hosted spoken word. The audio goes to ffmpeg
    through a pipe: no temporary files, one process.
    """
    return run_ffmpeg(["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "-", "-ar", str(MP3_SAMPLE_RATE),
                       "-ac", "1", "-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-id3v2_version", "0",
                       "-write_xing", "1", "-bitexact", "-map_metadata", "-1", "-f", "mp3", "-"],
                      stdin=pcm.tobytes()).stdout


# MPEG-1 Layer III bitrates (kb/s) and sample rates by index: the only MPEG
# version mp3_frames accepts.
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)


def mp3_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each audio frame, skipping an ID3v2 tag and the
    Xing/Info header frame (which describes only its own file)."""
    pos = 0
    if data[:3] == b"ID3":
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        pos = 10 + size
    frames = []
    first = True
    while pos + 4 <= len(data):
        header = int.from_bytes(data[pos:pos + 4], "big")
        if header >> 21 != 0x7FF:
            break
        version = header >> 19 & 3
        if version != 3 or (header >> 17 & 3) != 1:
            raise ToolError("expected MPEG-1 Layer III frames")
        bitrate = _BITRATES[header >> 12 & 15] * 1000
        rate = _RATES[header >> 10 & 3]
        length = 144 * bitrate // rate + (header >> 9 & 1)
        is_info = first and (b"Xing" in data[pos:pos + 64] or b"Info" in data[pos:pos + 64])
        if not is_info:
            frames.append((pos, length))
        first = False
        pos += length
    return frames


def adts_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each AAC frame in an ADTS stream."""
    frames, pos = [], 0
    while pos + 7 <= len(data):
        if data[pos] != 0xFF or data[pos + 1] & 0xF0 != 0xF0:
            raise ToolError("expected AAC (ADTS) frames")
        length = (data[pos + 3] & 3) << 11 | data[pos + 4] << 3 | data[pos + 5] >> 5
        frames.append((pos, length))
        pos += length
    return frames


def encode_aac(pcm: np.ndarray, rate: int) -> bytes:
    """Encode mono int16 PCM as AAC-LC in ADTS framing, which joins like MP3."""
    return run_ffmpeg(["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "-", "-ar", str(MP3_SAMPLE_RATE),
                       "-c:a", "aac", "-b:a", AAC_BITRATE, "-bitexact", "-f", "adts", "-"],
                      stdin=pcm.tobytes()).stdout


@dataclass(frozen=True)
class Frames:
    """Where an encoded file's audio frames lie: bytes ``start`` to ``end``,
    back to back, ``count`` of them. Found once, when the file is encoded,
    so that joining files never parses them again."""

    start: int
    end: int
    count: int


def find_frames(data: bytes, kind: str) -> Frames:
    """The audio frames of an MP3 ("mp3") or ADTS AAC ("aac") file."""
    layout = mp3_frames(data) if kind == "mp3" else adts_frames(data)
    if not layout:
        return Frames(0, 0, 0)
    return Frames(layout[0][0], layout[-1][0] + layout[-1][1], len(layout))


def timeline(parts: list[Frames], kind: str) -> tuple[list[int], int]:
    """The start of each part, and the total length, in ms, when the parts'
    frames are joined: counted from the frames themselves, since each part
    keeps its encoder delay and padding (the parts' own durations would
    drift by about 50 ms per joint)."""
    per_frame = MP3_SAMPLES_PER_FRAME if kind == "mp3" else AAC_SAMPLES_PER_FRAME
    starts, frames = [], 0
    for part in parts:
        starts.append(frames * per_frame * 1000 // MP3_SAMPLE_RATE)
        frames += part.count
    return starts, frames * per_frame * 1000 // MP3_SAMPLE_RATE


def join_frames(parts: list[tuple[Path, Frames]], out: BinaryIO) -> None:
    """Write the frames of encoded files to ``out``, one file at a time and
    without decoding, so memory stays flat however long the guide is."""
    for path, frames in parts:
        with open(path, "rb") as f:
            f.seek(frames.start)
            data = f.read(frames.end - frames.start)
        if len(data) != frames.end - frames.start:
            raise ToolError(f"{path}: shorter than its frames")
        out.write(data)


def mux_m4b(aac: Path, chapters: list[tuple[str, int, int]], metadata: dict[str, str], target: Path) -> None:
    """Wrap joined AAC in an MP4 audiobook container with chapters (both the
    QuickTime chapter track and Nero chpl, which ffmpeg writes together)."""
    def escape(value: str) -> str:
        return "".join("\\" + c if c in "=;#\\\n" else c for c in value)

    lines = [";FFMETADATA1", *(f"{k}={escape(v)}" for k, v in metadata.items() if v)]
    for title, start, end in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", f"title={escape(title)}"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "meta.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        # Put the stream in MP4 first: ffmpeg 9 writes a broken chapter track
        # when it takes timestamps straight from raw ADTS.
        run_ffmpeg(["-f", "aac", "-i", str(aac), "-c", "copy", "-bitexact", "-f", "mp4",
                    str(folder / "in.m4a")])
        run_ffmpeg(["-i", str(folder / "in.m4a"), "-f", "ffmetadata", "-i", str(folder / "meta.txt"),
                    "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", "-bitexact",
                    "-movflags", "+faststart", "-f", "ipod", str(target)])
