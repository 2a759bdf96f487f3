"""The files a listener's player gets: every MP3 whole and timed from its own
frames, its ID3 chapters readable, its loudness on target, and the cover
what podcast directories accept.

Each is measured with an instrument of check's own rather than the code that
made it: the frames are walked by a reader written here from the MPEG
standard, and loudness is measured by ffmpeg's ebur128 filter, not by the
meter that mastered the audio, so a mistake in either shows up here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..audio.loudness import TARGET_LUFS
from ..errors import AudioGuideError
from ..ffmpeg import run_ffmpeg
from ..layout import COVER_FILE
from .problems import Report

LOUDNESS_TOLERANCE_LU = 1.0
TRUE_PEAK_LIMIT_DBTP = -1.0
# Audio may end a little after the last word or chapter end the build
# measured: the encoder pads the last frame.
END_TOLERANCE_MS = 100
# Bytes after the last whole frame that are still fine (an ID3v1 tag).
TRAILING_BYTES = 128
COVER_MIN_PX, COVER_MAX_PX = 1400, 3000
COVER_MAX_BYTES = 512 * 1024

# MPEG-1 Layer III (ISO/IEC 11172-3): the build writes nothing else, so any
# other kind of frame means the file was replaced. Bitrates in kb/s and sample
# rates by their index in a frame header; None marks the free-format and
# reserved indexes, whose frames have no length to step by.
_KBPS = (None, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, None)
_RATES = (44100, 48000, 32000, None)
_SAMPLES_PER_FRAME = 1152


def _frames(data: bytes) -> tuple[int, int]:
    """(end of the last frame, duration in ms) of the MPEG-1 Layer III frames
    after an ID3v2 tag; raises ValueError when a header is not one. The
    encoder's Xing/Info frame is left out: players skip it, it is no audio."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        pos = 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]) + (10 if data[5] & 0x10 else 0)
    rates: Counter[int] = Counter()
    first = True
    while pos + 4 <= len(data):
        header = int.from_bytes(data[pos:pos + 4], "big")
        if header >> 21 != 0x7FF:
            break  # no frame here: what follows is trailing bytes
        if header >> 19 & 3 != 3 or header >> 17 & 3 != 1:
            raise ValueError("expected MPEG-1 Layer III frames")
        kbps, rate = _KBPS[header >> 12 & 15], _RATES[header >> 10 & 3]
        if kbps is None or rate is None:
            raise ValueError(f"the frame at byte {pos} has a free-format or reserved bitrate or sample rate")
        # The side information, after the header and its optional CRC, is 17
        # bytes for mono and 32 otherwise; a Xing/Info tag follows it.
        tag = pos + 4 + (0 if header >> 16 & 1 else 2) + (17 if header >> 6 & 3 == 3 else 32)
        if not (first and data[tag:tag + 4] in (b"Xing", b"Info")):
            rates[rate] += 1
        first = False
        pos += 144 * kbps * 1000 // rate + (header >> 9 & 1)
    return pos, round(sum(n * _SAMPLES_PER_FRAME * 1000 / rate for rate, n in rates.items()))


def mp3_duration(relative: str, data: bytes, report: Report) -> int | None:
    """The MP3's duration in ms from its frames, or None (with a problem)
    when it is not a whole MPEG-1 Layer III file."""
    try:
        end, duration_ms = _frames(data)
    except ValueError as exc:
        report(relative, f"not a valid MP3 ({exc}): rebuild the edition")
        return None
    if not duration_ms:
        report(relative, "no MP3 audio frames found: the file is empty or damaged; rebuild the edition")
        return None
    if end > len(data):
        report(relative, f"truncated: the last MP3 frame is cut short ({end - len(data)} bytes missing "
                         "at the end); the upload or copy was interrupted; publish the file again or "
                         "rebuild the edition")
        return None
    if len(data) - end > TRAILING_BYTES:
        report(relative, f"damaged: {len(data) - end} bytes after byte {end} are not MP3 frames; "
                         "rebuild the edition")
        return None
    return duration_ms


def id3_chapters(path: Path, relative: str, report: Report) -> list[tuple[str, int, int]] | None:
    """(title, start ms, end ms) of each CHAP frame, in time order; None
    (with a problem) when the tag cannot be read."""
    from mutagen.id3 import ID3

    try:
        tag = ID3(path)
        chapters = sorted(((int(c.start_time), str(c.sub_frames.get("TIT2", "")), int(c.end_time))
                           for c in tag.getall("CHAP")))
    except Exception as exc:  # mutagen raises several kinds (ID3NoHeaderError, ...) on a damaged tag
        report(relative, f"cannot read its ID3 tag ({exc}): rebuild the edition")
        return None
    if not chapters:
        report(relative, "its ID3 tag has no chapters (CHAP frames): rebuild the edition")
    return [(title, start, end) for start, title, end in chapters]


_NUMBER = r"(-?(?:\d+(?:\.\d+)?|inf))"
_SUMMARY = re.compile(rf"Summary:.*?\bI:\s*{_NUMBER}\s*LUFS.*?\bPeak:\s*{_NUMBER}\s*dB", re.S)


def loudness(path: Path, relative: str, report: Report) -> None:
    """Integrated loudness and true peak, as ffmpeg's ebur128 filter measures
    them at the file's own sample rate (one channel counted once, as
    BS.1770 counts a mono file)."""
    try:
        # The summary is logged at the info level, which run_ffmpeg keeps
        # quiet otherwise; frame-by-frame figures stay out (framelog). -vn:
        # the cover art in the ID3 tag is a video stream to ffmpeg.
        log = run_ffmpeg(["-loglevel", "info", "-nostats", "-i", str(path), "-vn",
                          "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]).stderr
    except AudioGuideError as exc:
        report(relative, f"cannot be decoded ({exc}): rebuild the edition")
        return
    summary = _SUMMARY.search(log.decode(errors="replace"))
    if summary is None:
        report(relative, "cannot be measured (ffmpeg's ebur128 filter gave no summary): rebuild the edition")
        return
    measured, peak = float(summary[1]), float(summary[2])
    if abs(measured - TARGET_LUFS) > LOUDNESS_TOLERANCE_LU:
        report(relative, f"integrated loudness is {measured:.1f} LUFS, not within {LOUDNESS_TOLERANCE_LU:g} LU of "
                         f"the {TARGET_LUFS:g} LUFS target for a mono file: rebuild it from the guide (the build "
                         "masters to the target) rather than editing the audio")
    if peak > TRUE_PEAK_LIMIT_DBTP:
        report(relative, f"true peak is {peak:.1f} dBTP, above the {TRUE_PEAK_LIMIT_DBTP:g} dBTP "
                         "limit: rebuild it from the guide rather than editing the audio")


def cover(folder: Path, report: Report) -> None:
    """The guide's cover.jpg: a square RGB JPEG, 1400 to 3000 px a side,
    under 512 KB."""
    path = folder / COVER_FILE
    if not path.is_file():
        report(COVER_FILE, "missing: podcast directories need cover art; rebuild the edition")
        return
    from PIL import Image, UnidentifiedImageError

    size = path.stat().st_size
    try:
        with Image.open(path) as image:
            kind, mode, (width, height) = image.format, image.mode, image.size
    except (UnidentifiedImageError, OSError) as exc:
        report(COVER_FILE, f"not a readable image ({exc}): give the guide a JPEG cover and rebuild")
        return
    if kind != "JPEG":
        report(COVER_FILE, f"is {kind}, not JPEG: podcast directories want a JPEG; rebuild")
    if mode != "RGB":
        report(COVER_FILE, f"is in {mode} colour, not RGB: Apple Podcasts rejects other colour "
                           "spaces; save the cover as RGB and rebuild")
    if width != height:
        report(COVER_FILE, f"is {width}x{height} px, not square: crop the cover square and rebuild")
    if not COVER_MIN_PX <= min(width, height) or not max(width, height) <= COVER_MAX_PX:
        report(COVER_FILE, f"is {width}x{height} px: podcast directories want {COVER_MIN_PX} to "
                           f"{COVER_MAX_PX} px a side; give a cover in that range and rebuild")
    if size >= COVER_MAX_BYTES:
        report(COVER_FILE, f"is {size // 1024} KB: keep it under {COVER_MAX_BYTES // 1024} KB "
                           "(save with more JPEG compression) and rebuild")
