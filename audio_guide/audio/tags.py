"""ID3v2.4 tags with chapters, written with mutagen.

The tag is rendered on its own and put in front of the audio frames, so a
tagged file is always written whole, in one go.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from mutagen.id3 import (
    APIC, CHAP, COMM, CTOC, ID3, TALB, TCON, TCOP, TDRC, TIT2, TLAN, TPE1, TRCK, USLT, CTOCFlags,
)

from ..model import ChapterMark

# ID3 wants ISO 639-2 language codes; guides use BCP 47 tags.
_ISO639_2 = {
    "ar": "ara", "de": "deu", "en": "eng", "es": "spa", "fa": "fas", "fr": "fra", "he": "heb", "hi": "hin",
    "it": "ita", "ja": "jpn", "ko": "kor", "nl": "nld", "pl": "pol", "pt": "por", "ru": "rus", "so": "som",
    "sw": "swa", "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "zho",
}
GENRE = "Podcast"
_CTOC_LIMIT = 255


@dataclass(frozen=True)
class Tags:
    title: str
    album: str
    artist: str
    track: int
    tracks: int
    language: str  # BCP 47, as in the guide
    copyright: str | None
    date: str | None  # YYYY-MM-DD
    description: str | None
    lyrics: str  # the words, for players that show them
    chapters: tuple[ChapterMark, ...]
    cover_jpeg: bytes | None = None


def iso639_2(language: str) -> str:
    base = language.split("-")[0].lower()
    return _ISO639_2.get(base, base if len(base) == 3 else "und")


def render_id3(tags: Tags) -> bytes:
    """The complete ID3v2.4 tag as bytes, chapters in time order."""
    id3 = ID3()
    lang = iso639_2(tags.language)
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(TRCK(encoding=3, text=f"{tags.track}/{tags.tracks}"))
    id3.add(TLAN(encoding=3, text=lang))
    id3.add(TCON(encoding=3, text=GENRE))
    if tags.copyright:
        id3.add(TCOP(encoding=3, text=tags.copyright))
    if tags.date:
        id3.add(TDRC(encoding=3, text=tags.date))
    if tags.description:
        id3.add(COMM(encoding=3, lang=lang, desc="", text=tags.description))
    id3.add(USLT(encoding=3, lang=lang, desc="", text=tags.lyrics))
    ids = [f"ch{i}" for i in range(len(tags.chapters))]
    _add_tables_of_contents(id3, ids, tags.album)
    for element_id, chapter in zip(ids, tags.chapters):
        id3.add(CHAP(element_id=element_id, start_time=chapter.start, end_time=chapter.end,
                     sub_frames=[TIT2(encoding=3, text=chapter.title)]))
    if tags.cover_jpeg:
        id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=tags.cover_jpeg))
    out = io.BytesIO()
    id3.save(out, v2_version=4, padding=lambda info: 0)
    return _chapters_in_time_order(out.getvalue(), ids)


def _add_tables_of_contents(id3: ID3, ids: list[str], title: str) -> None:
    """One ordered CTOC over the chapters; a CTOC counts its entries in one
    byte, so past 255 chapters the top level lists sub-tables instead."""
    ordered = CTOCFlags.ORDERED
    if len(ids) <= _CTOC_LIMIT:
        id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | ordered, child_element_ids=ids,
                     sub_frames=[TIT2(encoding=3, text=title)]))
        return
    groups = [ids[i:i + _CTOC_LIMIT] for i in range(0, len(ids), _CTOC_LIMIT)]
    id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | ordered,
                 child_element_ids=[f"toc{i}" for i in range(len(groups))], sub_frames=[TIT2(encoding=3, text=title)]))
    for i, group in enumerate(groups):
        id3.add(CTOC(element_id=f"toc{i}", flags=ordered, child_element_ids=group))


def _chapters_in_time_order(tag: bytes, ids: list[str]) -> bytes:
    """Put the CHAP frames in the order of ``ids``.

    ffmpeg (and so ffprobe, mpv, VLC) lists chapters in the order their frames
    sit in the tag, and mutagen sorts frames by size when it saves.
    """
    frames, pos, end = [], 10, 10 + _syncsafe(tag[6:10])
    while pos + 10 <= end and tag[pos] != 0:
        size = _syncsafe(tag[pos + 4:pos + 8])
        frames.append(tag[pos:pos + 10 + size])
        pos += 10 + size
    chapter_frames = {f[10:].split(b"\0", 1)[0].decode(): f for f in frames if f[:4] == b"CHAP"}
    ordered = iter([chapter_frames[i] for i in ids])
    body = b"".join(next(ordered) if f[:4] == b"CHAP" else f for f in frames)
    return tag[:6] + _to_syncsafe(len(body)) + body


def _syncsafe(data: bytes) -> int:
    return data[0] << 21 | data[1] << 14 | data[2] << 7 | data[3]


def _to_syncsafe(n: int) -> bytes:
    return bytes([n >> 21 & 127, n >> 14 & 127, n >> 7 & 127, n & 127])
