"""Check a built edition the way a careful publisher would, before it goes out.

``check_edition`` looks at every guide folder in the output folder (a folder
holding a feed.xml) and returns the problems it finds, each naming the file
(relative to the output folder) and saying what is wrong and how to fix it:

- every URL in the feed starts with the guide's base URL and names a file
  that is there;
- enclosure lengths and durations match the MP3s;
- the ID3 chapters, the JSON chapters and the feed's psc:chapters agree and
  lie within the audio;
- the VTT transcripts parse, are in time order, and (given the content
  folder) hold every sentence of their section, in order;
- every episode is whole, decodes, and meets the loudness target;
- the cover is what podcast directories accept;
- nothing stale is left in the folder;
- every file matches the checksum manifest (SHA256SUMS) the build wrote.

``listen_edition`` (check --listen) also hears every episode back with a
speech recognizer of its own (audio_guide.listen) and reports episodes whose
words are not what their transcripts say.

Only the standard library, mutagen, Pillow and ffmpeg (through
ffmpeg.run_ffmpeg: its ebur128 filter measures loudness) are used: no
ffprobe; --listen adds the optional recognizer (faster-whisper), imported
only when asked for.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import unquote

from ..audio import codecs, loudness
from ..errors import AudioGuideError
from ..ffmpeg import run_ffmpeg
from ..publishing import manifest
from ..publishing.feed import NS
from ..model import COVER_FILE, FEED_FILE, HANDOUT_FILE, MANIFEST_FILE, PAGE_FILE, QR_PNG_FILE, QR_SVG_FILE, EpisodeFiles

GUIDE_FILES = frozenset({PAGE_FILE, FEED_FILE, COVER_FILE, HANDOUT_FILE, QR_PNG_FILE, QR_SVG_FILE, MANIFEST_FILE,
                         "logo.png", "logo.jpg", "logo.jpeg"})
TOP_LEVEL_FILES = frozenset({"feeds.opml", PAGE_FILE})
DURATION_TOLERANCE_S = 1.0
LOUDNESS_TOLERANCE_LU = 1.0
TRUE_PEAK_LIMIT_DBTP = -1.0
# Audio may end a little after the last word or chapter end the build
# measured: the encoder pads the last frame.
END_TOLERANCE_MS = 100
# Bytes after the last whole frame that are still fine (an ID3v1 tag).
TRAILING_BYTES = 128
COVER_MIN_PX, COVER_MAX_PX = 1400, 3000
COVER_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Problem:
    path: str  # relative to the output folder, "/"-separated
    message: str  # what is wrong and how to fix it


def guide_folders(out_dir: Path) -> list[Path]:
    """The guide folders in ``out_dir``: visible folders holding a feed.xml, in name order."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / FEED_FILE).is_file())


def check_edition(out_dir: Path, content_dir: Path | None = None) -> list[Problem]:
    """Every problem found in the editions under ``out_dir``; an empty list
    means the output folder is ready to publish. With ``content_dir``, the
    transcripts are also checked against the guides' own sentences."""
    out_dir = Path(out_dir)
    problems: list[Problem] = []
    if not out_dir.is_dir():
        return [Problem(".", f"{out_dir} is not a folder: build the edition first with 'audio-guide build'")]
    guides = {}
    if content_dir is not None:
        from ..reading.guides import read_guides  # only when asked: reading guides may fail on its own terms

        try:
            guides = {g.slug: g for g in read_guides(content_dir)}
        except AudioGuideError as exc:
            problems.append(Problem(".", f"cannot read the guides in {content_dir}: {exc}"))
    for entry in sorted(out_dir.iterdir()):
        if entry.name.startswith("."):
            problems.append(Problem(entry.name, "hidden file or folder in the output folder: delete it before "
                                                "publishing"))
    folders = guide_folders(out_dir)
    if not folders:
        problems.append(Problem(".", "no guide folder (a folder holding feed.xml) found: build the edition "
                                     "first with 'audio-guide build', or pass the output folder"))
    for folder in folders:
        problems += _GuideCheck(out_dir, folder, guides.get(folder.name)).run()
    for slug, guide in guides.items():
        if not (out_dir / slug / FEED_FILE).is_file():
            problems.append(Problem(slug, f"{guide.path}: this guide has no edition in {out_dir}: build it"))
    return problems


def lint_content(content_dir: Path) -> tuple[list[Problem], int]:
    """Read every guide in ``content_dir`` without building anything: the
    problems (each at its file and line) and how many guides read clean."""
    from ..errors import ContentError
    from ..reading.guides import GUIDE_FILE, read_guides

    content_dir = Path(content_dir)
    folders = [content_dir] if (content_dir / GUIDE_FILE).is_file() else \
        sorted(p for p in content_dir.iterdir() if (p / GUIDE_FILE).is_file()) if content_dir.is_dir() else []
    problems, clean = [], 0
    for folder in folders or [content_dir]:  # none: let the reader say why
        try:
            clean += len(read_guides(folder))
        except ContentError as exc:
            problems.append(Problem(f"{exc.path}:{exc.line}" if exc.line else exc.path, exc.message))
        except AudioGuideError as exc:
            problems.append(Problem(str(folder), str(exc)))
    return problems, clean


def format_report(problems: list[Problem], guides_checked: int | None = None) -> str:
    """A report for people: one line per problem, or a single OK line."""
    if not problems:
        if guides_checked is None:
            return "OK: no problems"
        return f"OK: {guides_checked} guide{'s' if guides_checked != 1 else ''} checked, no problems"
    return "\n".join(f"{p.path}: {p.message}" for p in problems)


def report_json(problems: list[Problem], guides_checked: int, listened: dict | None = None) -> str:
    """The same, for programs; ``listened`` (from heard_json) adds the
    figures of check --listen under "listen"."""
    report = {"ok": not problems, "guides_checked": guides_checked, "problems": [asdict(p) for p in problems]}
    if listened is not None:
        report["listen"] = listened
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


# --- one guide ---------------------------------------------------------------

def _q(name: str) -> str:
    prefix, _, local = name.rpartition(":")
    return f"{{{NS[prefix]}}}{local}" if prefix else local


def _ms(ms: float) -> str:
    return f"{ms / 1000:.3f} s"


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


_NUMBER = r"(-?(?:\d+(?:\.\d+)?|inf))"
_EBUR128_SUMMARY = re.compile(rf"Summary:.*?\bI:\s*{_NUMBER}\s*LUFS.*?\bPeak:\s*{_NUMBER}\s*dB", re.S)
_VTT_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}\s+-->\s+{_VTT_TIME}(?:\s.*)?$")


def _vtt_ms(groups) -> int:
    h, m, s, ms = groups
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _words(text: str) -> str:
    return " ".join(text.split())


class _GuideCheck:
    def __init__(self, out_dir: Path, folder: Path, guide=None):
        self.out_dir, self.folder, self.guide = out_dir, folder, guide
        self.problems: list[Problem] = []
        self.referenced: set[str] = set()  # paths relative to the guide folder
        self._cues: dict[str, list[str]] = {}  # MP3 -> its VTT cues' text
        self._vtt_of: dict[str, str] = {}  # MP3 -> its VTT

    def problem(self, relative: str, message: str) -> None:
        self.problems.append(Problem(f"{self.folder.name}/{relative}" if relative else self.folder.name, message))

    def run(self) -> list[Problem]:
        try:
            root = ET.parse(self.folder / FEED_FILE).getroot()
        except ET.ParseError as exc:
            self.problem(FEED_FILE, f"not well-formed XML ({exc}): rebuild the edition")
            return self.problems
        channel = root.find("channel")
        base = (channel.findtext("link") or "").strip() if channel is not None else ""
        if channel is None or not base.endswith("/"):
            self.problem(FEED_FILE, "the channel has no <link> with the guide's base URL (ending in /): "
                                    "rebuild the edition")
            return self.problems
        self.base = base
        self._channel_urls(channel)
        episode_audio: set[str] = set()
        for number, item in enumerate(channel.findall("item"), start=1):
            audio_file = self._item(item, number)
            if audio_file:
                episode_audio.add(audio_file)
        if self.guide is not None:
            self._against_guide(episode_audio)
        self._cover()
        self._leftovers()
        # The manifest catches what no other check can (an edited page, say);
        # a file already reported needs no second word.
        reported = {p.path.rstrip('/') for p in self.problems}
        for relative, message in manifest.verify(self.folder):
            if f"{self.folder.name}/{relative}" not in reported:
                self.problem(relative, message)
        return self.problems

    # URLs ----------------------------------------------------------------
    def _local(self, url: str | None, what: str) -> str | None:
        """The file a feed URL names, relative to the guide folder, or None
        (with a problem) when it is outside the guide or missing."""
        url = (url or "").strip()
        if not url.startswith(self.base):
            self.problem(FEED_FILE, f"{what} URL {url!r} does not start with the guide's base URL {self.base}: "
                                    "rebuild with the right --base-url")
            return None
        relative = unquote(url[len(self.base):].split("#", 1)[0].split("?", 1)[0])
        path = (self.folder / relative).resolve()
        if not relative or not path.is_relative_to(self.folder.resolve()):
            self.problem(FEED_FILE, f"{what} URL {url!r} does not name a file in the guide folder: rebuild "
                                    "the edition")
            return None
        if not path.is_file():
            self.problem(relative, f"missing, but the feed links it as the {what}: rebuild the edition, and "
                                   "publish the whole folder")
            return None
        self.referenced.add(relative)
        return relative

    def _channel_urls(self, channel: ET.Element) -> None:
        image = channel.find(_q("itunes:image"))
        self._local(image.get("href") if image is not None else None, "itunes:image")
        self._local(channel.findtext("image/url"), "channel image")
        atom = channel.find(_q("atom:link"))
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
        chapters_el = item.find(_q("podcast:chapters"))
        chapters_file = self._local(chapters_el.get("url") if chapters_el is not None else None,
                                    f"{what} chapters")
        vtt_file = None
        for transcript in item.findall(_q("podcast:transcript")):
            found = self._local(transcript.get("url"), f"{what} transcript")
            if found and transcript.get("type") == "text/vtt":
                vtt_file = found
        if vtt_file is None and not any(t.get("type") == "text/vtt" for t in item.findall(_q("podcast:transcript"))):
            self.problem(FEED_FILE, f"{what} has no text/vtt podcast:transcript: rebuild the edition")
        if audio_file is None:
            return None
        data = (self.folder / audio_file).read_bytes()
        length = enclosure.get("length", "")
        if length != str(len(data)):
            change = "truncated or replaced" if length.isdigit() and int(length) > len(data) else "replaced"
            self.problem(FEED_FILE, f"{what}: enclosure length is {length or 'missing'} but {audio_file} is "
                                    f"{len(data)} bytes (the file was {change} after the build, or the feed is "
                                    "stale): rebuild the edition")
        duration_ms = self._frames(audio_file, data)
        if duration_ms is None:
            return audio_file
        stated = _duration_s(item.findtext(_q("itunes:duration")) or "")
        if stated is None:
            self.problem(FEED_FILE, f"{what}: itunes:duration is missing or not a duration: rebuild the edition")
        elif abs(stated - duration_ms / 1000) > DURATION_TOLERANCE_S:
            self.problem(FEED_FILE, f"{what}: itunes:duration says {stated:g} s but {audio_file} lasts "
                                    f"{duration_ms / 1000:.1f} s: rebuild the edition")
        self._chapters(item, what, audio_file, chapters_file, duration_ms)
        if vtt_file:
            cues = self._vtt(vtt_file, duration_ms)
            if cues is not None:
                self._cues[audio_file], self._vtt_of[audio_file] = cues, vtt_file
        self._loudness(audio_file)
        return audio_file

    def _frames(self, relative: str, data: bytes) -> int | None:
        """The MP3's duration in ms from its frames, or None (with a problem)
        when it is not a whole MPEG-1 Layer III file."""
        try:
            frames = codecs.mp3_frames(data)
        except (AudioGuideError, IndexError) as exc:
            self.problem(relative, f"not a valid MP3 ({exc}): rebuild the edition")
            return None
        if not frames:
            self.problem(relative, "no MP3 audio frames found: the file is empty or damaged; rebuild the edition")
            return None
        end = frames[-1][0] + frames[-1][1]
        if end > len(data):
            self.problem(relative, f"truncated: the last MP3 frame is cut short ({end - len(data)} bytes missing "
                                   "at the end); the upload or copy was interrupted; publish the file again or "
                                   "rebuild the edition")
            return None
        if len(data) - end > TRAILING_BYTES:
            self.problem(relative, f"damaged: {len(data) - end} bytes after byte {end} are not MP3 frames; "
                                   "rebuild the edition")
            return None
        return round(len(frames) * codecs.MP3_SAMPLES_PER_FRAME * 1000 / codecs.MP3_SAMPLE_RATE)

    def _chapters(self, item, what, audio_file, chapters_file, duration_ms) -> None:
        from mutagen.id3 import ID3

        try:
            tag = ID3(self.folder / audio_file)
            id3 = sorted(((int(c.start_time), str(c.sub_frames.get("TIT2", "")), int(c.end_time))
                          for c in tag.getall("CHAP")))
            id3 = [(title, start, end) for start, title, end in id3]
        except Exception as exc:  # mutagen raises several kinds (ID3NoHeaderError, ...) on a damaged tag
            self.problem(audio_file, f"cannot read its ID3 tag ({exc}): rebuild the edition")
            id3 = None
        if id3 is not None and not id3:
            self.problem(audio_file, "its ID3 tag has no chapters (CHAP frames): rebuild the edition")
        marks = {}
        if id3:
            marks["the ID3 chapters"] = (audio_file, id3)
        if chapters_file:
            try:
                listed = json.loads((self.folder / chapters_file).read_text(encoding="utf-8"))["chapters"]
                marks["the JSON chapters"] = (chapters_file, [
                    (str(c.get("title", "")), round(float(c["startTime"]) * 1000),
                     round(float(c["endTime"]) * 1000) if "endTime" in c else None) for c in listed])
            except (ValueError, KeyError, TypeError) as exc:
                self.problem(chapters_file, f"not valid JSON chapters ({exc}): rebuild the edition")
        psc = item.find(_q("psc:chapters"))
        if psc is None:
            self.problem(FEED_FILE, f"{what} has no psc:chapters: rebuild the edition")
        else:
            feed_marks = []
            for chapter in psc.findall(_q("psc:chapter")):
                start = _psc_ms(chapter.get("start", ""))
                if start is None:
                    self.problem(FEED_FILE, f"{what}: psc:chapter start {chapter.get('start')!r} is not "
                                            "HH:MM:SS.mmm: rebuild the edition")
                    start = -1
                feed_marks.append((chapter.get("title", ""), start, None))
            marks["the feed's psc:chapters"] = (FEED_FILE, feed_marks)
        for name, (relative, chapters) in marks.items():
            starts = [start for _, start, _ in chapters]
            if starts != sorted(starts):
                self.problem(relative, f"{what}: {name} do not start in ascending order: rebuild the edition")
            for n, (title, start, end) in enumerate(chapters, start=1):
                if start >= duration_ms:
                    self.problem(relative, f"{what}: chapter {n} '{title}' starts at {_ms(start)}, past the end "
                                           f"of {audio_file} ({_ms(duration_ms)}): rebuild the edition")
                elif end is not None and end > duration_ms + END_TOLERANCE_MS:
                    self.problem(relative, f"{what}: chapter {n} '{title}' ends at {_ms(end)}, past the end "
                                           f"of {audio_file} ({_ms(duration_ms)}): rebuild the edition")
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
                detail = (f"chapter {n} is '{mine[0]}' at {_ms(mine[1])}, but {reference_name} say "
                          f"'{theirs[0]}' at {_ms(theirs[1])}")
            self.problem(relative, f"{what}: {name} disagree with {reference_name}: {detail}; rebuild the edition")

    def _vtt(self, relative: str, duration_ms: int) -> list[str] | None:
        text = (self.folder / relative).read_text(encoding="utf-8-sig", errors="replace")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if not lines or not re.fullmatch(r"WEBVTT(?:[ \t].*)?", lines[0]):
            self.problem(relative, "not a WebVTT file: the first line must be WEBVTT; rebuild the edition")
            return None
        cues: list[str] = []
        previous = -1
        i = 1
        while i < len(lines):
            match = _VTT_TIMING.match(lines[i].strip())
            if not match:
                if "-->" in lines[i]:
                    self.problem(relative, f"line {i + 1}: cue timing {lines[i].strip()!r} is not "
                                           "HH:MM:SS.mmm --> HH:MM:SS.mmm: rebuild the edition")
                i += 1
                continue
            start, end = _vtt_ms(match.groups()[:4]), _vtt_ms(match.groups()[4:])
            if end < start:
                self.problem(relative, f"line {i + 1}: the cue ends ({_ms(end)}) before it starts ({_ms(start)}): "
                                       "rebuild the edition")
            if start < previous:
                self.problem(relative, f"line {i + 1}: the cue starts at {_ms(start)}, before the cue above "
                                       f"({_ms(previous)}): cues must be in time order; rebuild the edition")
            if end > duration_ms + END_TOLERANCE_MS:
                self.problem(relative, f"line {i + 1}: the cue ends at {_ms(end)}, past the end of the audio "
                                       f"({_ms(duration_ms)}): rebuild the edition")
            previous = start
            body = []
            i += 1
            while i < len(lines) and lines[i].strip():
                body.append(lines[i].strip())
                i += 1
            cues.append(html.unescape(" ".join(body)))
        if not cues:
            self.problem(relative, "the transcript has no cues: rebuild the edition")
        return cues

    def _loudness(self, relative: str) -> None:
        """Integrated loudness and true peak, as ffmpeg's ebur128 filter
        measures them at the file's own sample rate: a meter of check's own,
        not the one that mastered the audio, so a mistake in either shows."""
        try:
            # The summary is logged at the info level, which run_ffmpeg keeps
            # quiet otherwise; frame-by-frame figures stay out (framelog).
            # -vn: the cover art in the ID3 tag is a video stream to ffmpeg.
            log = run_ffmpeg(["-loglevel", "info", "-nostats", "-i", str(self.folder / relative), "-vn",
                              "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]).stderr
        except AudioGuideError as exc:
            self.problem(relative, f"cannot be decoded ({exc}): rebuild the edition")
            return
        summary = _EBUR128_SUMMARY.search(log.decode(errors="replace"))
        if summary is None:
            self.problem(relative, "cannot be measured (ffmpeg's ebur128 filter gave no summary): rebuild the "
                                   "edition")
            return
        measured, peak = float(summary[1]), float(summary[2])
        if abs(measured - loudness.TARGET_LUFS) > LOUDNESS_TOLERANCE_LU:
            self.problem(relative, f"integrated loudness is {measured:.1f} LUFS, not within "
                                   f"{LOUDNESS_TOLERANCE_LU:g} LU of the {loudness.TARGET_LUFS:g} LUFS target for a "
                                   "mono file: rebuild it from the guide (the build masters to the target) "
                                   "rather than editing the audio")
        if peak > TRUE_PEAK_LIMIT_DBTP:
            self.problem(relative, f"true peak is {peak:.1f} dBTP, above the {TRUE_PEAK_LIMIT_DBTP:g} dBTP "
                                   "limit: rebuild it from the guide rather than editing the audio")

    # content -------------------------------------------------------------
    def _against_guide(self, episode_audio: set[str]) -> None:
        guide = self.guide
        for number, section in enumerate(guide.sections, start=1):
            files = EpisodeFiles.for_section(number, section.id)
            if files.audio not in episode_audio:
                self.problem(FEED_FILE, f"{guide.path}:{section.line}: section {number} '{section.title}' has "
                                        f"no episode ({files.audio}) in the feed: rebuild the edition")
                continue
            cues = self._cues.get(files.audio)
            if cues is None:
                continue
            spoken = _words(" ".join(cues))
            cursor = 0
            for chapter in section.chapters:
                for block in chapter.blocks:
                    for sentence in block.sentences:
                        wanted = _words(sentence.text)
                        found = spoken.find(wanted, cursor)
                        if found < 0:
                            elsewhere = spoken.find(wanted) >= 0
                            self.problem(self._vtt_of[files.audio],
                                         f"{guide.path}:{sentence.line}: the sentence {wanted[:70]!r}"
                                         f"{'...' if len(wanted) > 70 else ''} is "
                                         f"{'out of order' if elsewhere else 'missing'} in the transcript: "
                                         "rebuild the edition so the transcript matches the guide")
                        else:
                            cursor = found + len(wanted)

    # files ---------------------------------------------------------------
    def _cover(self) -> None:
        path = self.folder / COVER_FILE
        if not path.is_file():
            self.problem(COVER_FILE, "missing: podcast directories need cover art; rebuild the edition")
            return
        from PIL import Image, UnidentifiedImageError

        size = path.stat().st_size
        try:
            with Image.open(path) as image:
                kind, mode, (width, height) = image.format, image.mode, image.size
        except (UnidentifiedImageError, OSError) as exc:
            self.problem(COVER_FILE, f"not a readable image ({exc}): give the guide a JPEG cover and rebuild")
            return
        if kind != "JPEG":
            self.problem(COVER_FILE, f"is {kind}, not JPEG: podcast directories want a JPEG; rebuild")
        if mode != "RGB":
            self.problem(COVER_FILE, f"is in {mode} colour, not RGB: Apple Podcasts rejects other colour "
                                     "spaces; save the cover as RGB and rebuild")
        if width != height:
            self.problem(COVER_FILE, f"is {width}x{height} px, not square: crop the cover square and rebuild")
        if not COVER_MIN_PX <= min(width, height) or not max(width, height) <= COVER_MAX_PX:
            self.problem(COVER_FILE, f"is {width}x{height} px: podcast directories want {COVER_MIN_PX} to "
                                     f"{COVER_MAX_PX} px a side; give a cover in that range and rebuild")
        if size >= COVER_MAX_BYTES:
            self.problem(COVER_FILE, f"is {size // 1024} KB: keep it under {COVER_MAX_BYTES // 1024} KB "
                                     "(save with more JPEG compression) and rebuild")

    def _leftovers(self) -> None:
        slug = self.folder.name
        page = self.folder / PAGE_FILE
        page_text = page.read_text(encoding="utf-8", errors="replace") if page.is_file() else ""
        full = {f"audio/{slug}-complete.mp3", f"audio/{slug}-complete.m4b"}
        for path in sorted(self.folder.rglob("*")):
            relative = path.relative_to(self.folder).as_posix()
            if path.is_dir():
                if path.name.startswith("."):
                    self.problem(relative + "/", "hidden folder left over in the guide folder: delete it before "
                                                 "publishing")
                continue
            if relative in GUIDE_FILES or relative in self.referenced:
                continue
            if relative in full:
                if f'"{relative}"' not in page_text and f"'{relative}'" not in page_text:
                    self.problem(relative, f"the full edition is not linked from {PAGE_FILE}: it is stale; "
                                           "delete it or rebuild the edition")
                elif relative.endswith(".mp3"):
                    self._frames(relative, path.read_bytes())  # whole, not truncated
                continue
            if any(part.startswith(".") for part in Path(relative).parts[:-1]):
                continue  # its hidden folder is reported
            if path.name.startswith("."):
                self.problem(relative, "hidden file left over from a build: delete it before publishing")
            else:
                self.problem(relative, "stale file: neither the feed nor the page refers to it (left over from "
                                       "an earlier build?); delete it before publishing")


# --- hearing it back (check --listen) ------------------------------------------

@dataclass(frozen=True)
class Heard:
    """One episode heard back by the recognizer (audio_guide.listen)."""
    path: str  # the MP3, relative to the output folder
    wer: float | None  # None: not heard back, and ``note`` says why
    reference_words: int = 0
    unheard: tuple[tuple[int, str], ...] = ()  # (start in ms, sentence) of each sentence not heard
    note: str = ""


def _timed_sentences(vtt_text: str):
    """The sentences of a VTT transcript with their times. The build splits a
    long sentence into cues that follow on without a gap (each ends where the
    next starts), while a pause always separates two sentences: cues that
    follow on are joined back into their sentence."""
    from .listen import Sentence

    sentences: list[Sentence] = []
    lines = vtt_text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        match = _VTT_TIMING.match(lines[i].strip())
        i += 1
        if not match:
            continue
        start, end = _vtt_ms(match.groups()[:4]), _vtt_ms(match.groups()[4:])
        body = []
        while i < len(lines) and lines[i].strip():
            body.append(lines[i].strip())
            i += 1
        text = html.unescape(" ".join(body))
        if sentences and sentences[-1].end == start:
            sentences[-1] = Sentence(f"{sentences[-1].text} {text}", sentences[-1].start, end)
        else:
            sentences.append(Sentence(text, start, end))
    return sentences


def listen_edition(out_dir: Path, recognizer, progress=None) -> tuple[list[Heard], list[Problem]]:
    """Hear every episode of every guide under ``out_dir`` back with
    ``recognizer`` (a listen.Recognizer) and compare it with its transcripts:
    the .txt for the word error rate, the .vtt for when each sentence should
    be heard. A WER above listen.WER_THRESHOLD, and each sentence not heard,
    is a problem at the MP3. An episode whose files are missing or damaged is
    skipped with a note: check_edition reports those. ``progress(done, total,
    message)`` is called as each episode is heard."""
    from . import listen

    out_dir = Path(out_dir)
    episodes = []  # (guide folder, language, MP3, txt, vtt), relative to the guide folder
    for folder in guide_folders(out_dir):
        try:
            channel = ET.parse(folder / FEED_FILE).getroot().find("channel")
        except ET.ParseError:
            continue
        if channel is None:
            continue
        base = (channel.findtext("link") or "").strip()
        language = (channel.findtext("language") or "en").strip()

        def local(url):
            url = (url or "").strip()
            return unquote(url[len(base):].split("#", 1)[0]) if base and url.startswith(base) else None

        for item in channel.findall("item"):
            enclosure = item.find("enclosure")
            transcripts = {t.get("type"): local(t.get("url")) for t in item.findall(_q("podcast:transcript"))}
            episodes.append((folder, language, local(enclosure.get("url") if enclosure is not None else None),
                             transcripts.get("text/plain"), transcripts.get("text/vtt")))
    heard: list[Heard] = []
    problems: list[Problem] = []
    for done, (folder, language, mp3, txt, vtt) in enumerate(episodes, start=1):
        if mp3 is None:
            continue
        path = f"{folder.name}/{mp3}"
        if progress:
            progress(done, len(episodes), f"listening to {path}")
        files = [folder / f for f in (mp3, txt, vtt) if f]
        if txt is None or vtt is None or not all(f.is_file() for f in files):
            heard.append(Heard(path, None, note="not heard back: its MP3 or transcripts (.txt, .vtt) are missing"))
            continue
        if not recognizer.hears(language):
            heard.append(Heard(path, None, note=f"not heard back: {recognizer.name} does not hear language "
                                                f"'{language}'; give --listen-model a multilingual model"))
            continue
        try:
            words = recognizer.hear(folder / mp3, language)
        except AudioGuideError as exc:
            heard.append(Heard(path, None, note=f"not heard back: cannot be decoded ({exc})"))
            continue
        reference = (folder / txt).read_text(encoding="utf-8-sig", errors="replace")
        sentences = _timed_sentences((folder / vtt).read_text(encoding="utf-8-sig", errors="replace"))
        hearing = listen.compare(reference, sentences, words)
        heard.append(Heard(path, hearing.wer, hearing.reference_words,
                           tuple((s.start, s.text) for s in hearing.unheard)))
        if hearing.wer > listen.WER_THRESHOLD:
            problems.append(Problem(path, f"heard back by {recognizer.name}, its word error rate against {txt} is "
                                          f"{hearing.wer:.3f}, above {listen.WER_THRESHOLD:g}: the audio does not "
                                          "say this episode's words (another episode's audio, cut, or garbled?); "
                                          "listen to it, and rebuild the edition"))
        for sentence in hearing.unheard:
            text = _words(sentence.text)
            problems.append(Problem(path, f"at {_clock(sentence.start)} the sentence {text[:70]!r}"
                                          f"{'...' if len(text) > 70 else ''} was not heard (under "
                                          f"{listen.HEARD_FRACTION:.0%} of its words recognized there): listen "
                                          "at that time, and rebuild the edition"))
    return heard, problems


def _clock(ms: int) -> str:
    seconds, ms = divmod(ms, 1000)
    return f"{seconds // 60}:{seconds % 60:02d}.{ms // 100}"


def format_heard(heard: list[Heard], recognizer_name: str) -> str:
    """The listening figures for people: one line per episode."""
    from .listen import WER_THRESHOLD

    out = [f"heard back with {recognizer_name}: word error rate per episode (a problem above {WER_THRESHOLD:g})"]
    for h in heard:
        if h.wer is None:
            out.append(f"  {h.path}: {h.note}")
            continue
        sentences = (f"{len(h.unheard)} sentence{'s' if len(h.unheard) != 1 else ''} not heard" if h.unheard
                     else "every sentence heard")
        out.append(f"  {h.path}: WER {h.wer:.3f} over {h.reference_words} words, {sentences}")
    return "\n".join(out)


def heard_json(heard: list[Heard], recognizer_name: str) -> dict:
    """The same, for report_json."""
    from .listen import HEARD_FRACTION, WER_THRESHOLD

    return {"recognizer": recognizer_name, "wer_threshold": WER_THRESHOLD, "heard_fraction": HEARD_FRACTION,
            "episodes": [{"path": h.path, "wer": None if h.wer is None else round(h.wer, 4),
                          "reference_words": h.reference_words,
                          "unheard": [{"start_ms": start, "text": text} for start, text in h.unheard],
                          **({"note": h.note} if h.note else {})} for h in heard]}
