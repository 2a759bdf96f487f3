"""A guide's podcast feed as a podcast app reads it: every link leads to a
file in the guide folder, enclosure lengths and durations match the MP3s, and
the ID3 chapters, the JSON chapters and the feed's psc:chapters agree and lie
within the audio. Each episode's files are checked on the way (media,
transcripts)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

from ..durations import in_seconds
from ..layout import FEED_FILE
from . import media
from .problems import Report
from .transcripts import vtt_cues

DURATION_TOLERANCE_S = 1.0

# The namespaces podcast apps read, written out here rather than taken from
# the feed writer: an element the writer put in a wrong namespace is one the
# apps cannot see, and check must not see it either.
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    "psc": "http://podlove.org/simple-chapters",
    "atom": "http://www.w3.org/2005/Atom",
}


def qualified(name: str) -> str:
    """An ElementTree name for a prefixed feed name: "psc:chapters" ->
    "{http://podlove.org/simple-chapters}chapters"."""
    prefix, _, local = name.rpartition(":")
    return f"{{{NS[prefix]}}}{local}" if prefix else local


def guide_folders(out_dir: Path) -> list[Path]:
    """The guide folders in ``out_dir``: visible folders holding a feed.xml, in name order."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / FEED_FILE).is_file())


def _psc_ms(text: str) -> int | None:
    match = re.fullmatch(r"(?:(\d+):)?(\d+):(\d+)(?:\.(\d{1,3}))?", text.strip())
    if not match:
        return None
    h, m, s, frac = match.groups()
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int((frac or "0").ljust(3, "0"))


def _duration_s(text: str) -> float | None:
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError:
        return None
    if not 1 <= len(parts) <= 3:
        return None
    total = 0.0
    for part in parts:
        total = total * 60 + part
    return total


class FeedCheck:
    """One guide folder's feed, and the files of each of its episodes."""

    def __init__(self, folder: Path, report: Report):
        self.folder, self.report = folder, report
        self.referenced: set[str] = set()  # files the feed links, relative to the guide folder
        self.episode_audio: set[str] = set()  # the MP3s of the episodes, when they are there
        self.transcripts: dict[str, tuple[str, list[str]]] = {}  # MP3 -> its VTT and the VTT's cues

    def run(self) -> bool:
        """Check the feed and every episode; False when the feed itself cannot be read."""
        try:
            root = ET.parse(self.folder / FEED_FILE).getroot()
        except ET.ParseError as exc:
            self.report(FEED_FILE, f"not well-formed XML ({exc}): rebuild the edition")
            return False
        channel = root.find("channel")
        base = (channel.findtext("link") or "").strip() if channel is not None else ""
        if channel is None or not base.endswith("/"):
            self.report(FEED_FILE, "the channel has no <link> with the guide's base URL (ending in /): "
                                   "rebuild the edition")
            return False
        self.base = base
        self._channel_urls(channel)
        for number, item in enumerate(channel.findall("item"), start=1):
            audio_file = self._item(item, number)
            if audio_file:
                self.episode_audio.add(audio_file)
        return True

    # URLs ----------------------------------------------------------------
    def _local(self, url: str | None, what: str) -> str | None:
        """The file a feed URL names, relative to the guide folder, or None
        (with a problem) when it is outside the guide or missing."""
        url = (url or "").strip()
        if not url.startswith(self.base):
            self.report(FEED_FILE, f"{what} URL {url!r} does not start with the guide's base URL {self.base}: "
                                   "rebuild with the right --base-url")
            return None
        relative = unquote(url[len(self.base):].split("#", 1)[0].split("?", 1)[0])
        path = (self.folder / relative).resolve()
        if not relative or not path.is_relative_to(self.folder.resolve()):
            self.report(FEED_FILE, f"{what} URL {url!r} does not name a file in the guide folder: rebuild "
                                   "the edition")
            return None
        if not path.is_file():
            self.report(relative, f"missing, but the feed links it as the {what}: rebuild the edition, and "
                                  "publish the whole folder")
            return None
        self.referenced.add(relative)
        return relative

    def _channel_urls(self, channel: ET.Element) -> None:
        image = channel.find(qualified("itunes:image"))
        self._local(image.get("href") if image is not None else None, "itunes:image")
        self._local(channel.findtext("image/url"), "channel image")
        atom = channel.find(qualified("atom:link"))
        if atom is not None:
            self._local(atom.get("href"), "feed's own (atom:link)")

    # episodes ------------------------------------------------------------
    def _item(self, item: ET.Element, number: int) -> str | None:
        """Check one episode; returns its MP3 when the feed names one that is there."""
        title = item.findtext("title") or f"item {number}"
        what = f"episode {number} ('{title}')"
        link = item.findtext("link")
        if link:
            self._local(link.split("#", 1)[0], f"{what} link")
        enclosure = item.find("enclosure")
        audio_file = self._local(enclosure.get("url") if enclosure is not None else None, f"{what} enclosure")
        chapters_el = item.find(qualified("podcast:chapters"))
        chapters_file = self._local(chapters_el.get("url") if chapters_el is not None else None,
                                    f"{what} chapters")
        vtt_file = None
        transcripts = item.findall(qualified("podcast:transcript"))
        for transcript in transcripts:
            found = self._local(transcript.get("url"), f"{what} transcript")
            if found and transcript.get("type") == "text/vtt":
                vtt_file = found
        if vtt_file is None and not any(t.get("type") == "text/vtt" for t in transcripts):
            self.report(FEED_FILE, f"{what} has no text/vtt podcast:transcript: rebuild the edition")
        if audio_file is None:
            return None
        data = (self.folder / audio_file).read_bytes()
        length = enclosure.get("length", "")
        if length != str(len(data)):
            change = "truncated or replaced" if length.isdigit() and int(length) > len(data) else "replaced"
            self.report(FEED_FILE, f"{what}: enclosure length is {length or 'missing'} but {audio_file} is "
                                   f"{len(data)} bytes (the file was {change} after the build, or the feed is "
                                   "stale): rebuild the edition")
        duration_ms = media.mp3_duration(audio_file, data, self.report)
        if duration_ms is None:
            return audio_file
        stated = _duration_s(item.findtext(qualified("itunes:duration")) or "")
        if stated is None:
            self.report(FEED_FILE, f"{what}: itunes:duration is missing or not a duration: rebuild the edition")
        elif abs(stated - duration_ms / 1000) > DURATION_TOLERANCE_S:
            self.report(FEED_FILE, f"{what}: itunes:duration says {stated:g} s but {audio_file} lasts "
                                   f"{duration_ms / 1000:.1f} s: rebuild the edition")
        self._chapters(item, what, audio_file, chapters_file, duration_ms)
        if vtt_file:
            cues = vtt_cues(self.folder, vtt_file, duration_ms, self.report)
            if cues is not None:
                self.transcripts[audio_file] = (vtt_file, cues)
        media.loudness(self.folder / audio_file, audio_file, self.report)
        return audio_file

    def _chapters(self, item, what, audio_file, chapters_file, duration_ms) -> None:
        marks = {}  # where the chapters are told -> (file, [(title, start, end or None)])
        id3 = media.id3_chapters(self.folder / audio_file, audio_file, self.report)
        if id3:
            marks["the ID3 chapters"] = (audio_file, id3)
        if chapters_file:
            try:
                listed = json.loads((self.folder / chapters_file).read_text(encoding="utf-8"))["chapters"]
                marks["the JSON chapters"] = (chapters_file, [
                    (str(c.get("title", "")), round(float(c["startTime"]) * 1000),
                     round(float(c["endTime"]) * 1000) if "endTime" in c else None) for c in listed])
            except (ValueError, KeyError, TypeError) as exc:
                self.report(chapters_file, f"not valid JSON chapters ({exc}): rebuild the edition")
        psc = item.find(qualified("psc:chapters"))
        if psc is None:
            self.report(FEED_FILE, f"{what} has no psc:chapters: rebuild the edition")
        else:
            feed_marks = []
            for chapter in psc.findall(qualified("psc:chapter")):
                start = _psc_ms(chapter.get("start", ""))
                if start is None:
                    self.report(FEED_FILE, f"{what}: psc:chapter start {chapter.get('start')!r} is not "
                                           "HH:MM:SS.mmm: rebuild the edition")
                    start = -1
                feed_marks.append((chapter.get("title", ""), start, None))
            marks["the feed's psc:chapters"] = (FEED_FILE, feed_marks)
        for name, (relative, chapters) in marks.items():
            starts = [start for _, start, _ in chapters]
            if starts != sorted(starts):
                self.report(relative, f"{what}: {name} do not start in ascending order: rebuild the edition")
            for n, (title, start, end) in enumerate(chapters, start=1):
                if start >= duration_ms:
                    self.report(relative, f"{what}: chapter {n} '{title}' starts at {in_seconds(start)}, past "
                                          f"the end of {audio_file} ({in_seconds(duration_ms)}): rebuild the edition")
                elif end is not None and end > duration_ms + media.END_TOLERANCE_MS:
                    self.report(relative, f"{what}: chapter {n} '{title}' ends at {in_seconds(end)}, past the "
                                          f"end of {audio_file} ({in_seconds(duration_ms)}): rebuild the edition")
        # The ID3 chapters are what the audio carries; the others must agree.
        reference_name = next(iter(marks), None)
        if reference_name is None:
            return
        _, reference = marks[reference_name]
        for name, (relative, chapters) in list(marks.items())[1:]:
            if [(t, s) for t, s, _ in chapters] == [(t, s) for t, s, _ in reference]:
                continue
            if len(chapters) != len(reference):
                detail = f"{len(chapters)} chapters, but {reference_name} have {len(reference)}"
            else:
                n, (mine, theirs) = next((n, pair) for n, pair in enumerate(zip(chapters, reference), start=1)
                                         if pair[0][:2] != pair[1][:2])
                detail = (f"chapter {n} is '{mine[0]}' at {in_seconds(mine[1])}, but {reference_name} say "
                          f"'{theirs[0]}' at {in_seconds(theirs[1])}")
            self.report(relative, f"{what}: {name} disagree with {reference_name}: {detail}; rebuild the edition")
