"""Check a built edition the way a careful publisher would, before it goes out.

``check_edition`` looks at every guide folder in the output folder (a folder
holding a feed.xml) and returns the problems it finds, each naming the file
(relative to the output folder) and saying what is wrong and how to fix it:

- every URL in the feed starts with the guide's base URL and names a file
  that is there; enclosure lengths and durations match the MP3s; the ID3
  chapters, the JSON chapters and the feed's psc:chapters agree and lie
  within the audio (feeds);
- every episode is whole, decodes, and meets the loudness target; the cover
  is what podcast directories accept (media);
- the VTT transcripts parse, are in time order, and (given the content
  folder) hold every sentence of their section, in order (transcripts);
- the read-along book, when the page offers one, opens as a reading app
  opens it: every media overlay clip lies inside its audio (the published
  episode) and highlights an element that is there, and (given the content
  folder) the overlays hold every sentence, in order (book);
- nothing stale is left in the folder, and every file matches the checksum
  manifest (SHA256SUMS) the build wrote (here).

``listen_edition`` (check --listen) also hears every episode back with a
speech recognizer of its own and reports episodes whose words are not what
their transcripts say (hearing).

Only the standard library, mutagen, Pillow and ffmpeg (through
ffmpeg.run_ffmpeg, to measure loudness) are used: no ffprobe; --listen adds
the optional recognizer (faster-whisper), imported only when asked for.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from ..errors import AudioGuideError
from ..layout import FEED_FILE, GUIDE_FILES, PAGE_FILE, audiobook, book, full_audio, logo_file
from ..publishing import manifest
from . import book as books
from . import media
from .feeds import FeedCheck, guide_folders
from .hearing import Heard, format_heard, heard_json, listen_edition
from .problems import Problem
from .transcripts import against_guide

# What the command line takes from here, wherever it is written.
__all__ = ["Heard", "Problem", "check_edition", "format_heard", "format_report", "guide_folders", "heard_json",
           "lint_content", "listen_edition", "report_json"]

# What a guide folder may hold besides what its feed names (and the logo the page shows).
EXPECTED = frozenset(GUIDE_FILES) | {logo_file(f"logo{kind}") for kind in (".png", ".jpg", ".jpeg")}


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


class _GuideCheck:
    def __init__(self, out_dir: Path, folder: Path, guide=None):
        self.out_dir, self.folder, self.guide = out_dir, folder, guide
        self.problems: list[Problem] = []

    def problem(self, relative: str, message: str) -> None:
        self.problems.append(Problem(f"{self.folder.name}/{relative}" if relative else self.folder.name, message))

    def run(self) -> list[Problem]:
        feed = FeedCheck(self.folder, self.problem)
        if not feed.run():
            return self.problems
        if self.guide is not None:
            against_guide(self.guide, feed.episode_audio, feed.transcripts, self.problem)
        media.cover(self.folder, self.problem)
        self._leftovers(feed.referenced)
        # The manifest catches what no other check can (an edited page, say);
        # a file already reported needs no second word.
        reported = {p.path.rstrip('/') for p in self.problems}
        for relative, message in manifest.verify(self.folder):
            if f"{self.folder.name}/{relative}" not in reported:
                self.problem(relative, message)
        return self.problems

    def _leftovers(self, referenced: set[str]) -> None:
        slug = self.folder.name
        page = self.folder / PAGE_FILE
        page_text = page.read_text(encoding="utf-8", errors="replace") if page.is_file() else ""
        full = {full_audio(slug), audiobook(slug), book(slug)}
        for path in sorted(self.folder.rglob("*")):
            relative = path.relative_to(self.folder).as_posix()
            if path.is_dir():
                if path.name.startswith("."):
                    self.problem(relative + "/", "hidden folder left over in the guide folder: delete it before "
                                                 "publishing")
                continue
            if relative in EXPECTED or relative in referenced:
                continue
            if relative in full:
                if f'"{relative}"' not in page_text and f"'{relative}'" not in page_text:
                    self.problem(relative, f"the full edition is not linked from {PAGE_FILE}: it is stale; "
                                           "delete it or rebuild the edition")
                elif relative.endswith(".mp3"):
                    media.mp3_duration(relative, path.read_bytes(), self.problem)  # whole, not truncated
                elif relative == book(slug):
                    overlays = books.BookCheck(self.folder, relative, self.problem).run()
                    if self.guide is not None and overlays:
                        books.against_guide(self.guide, relative, overlays, self.problem)
                continue
            if any(part.startswith(".") for part in Path(relative).parts[:-1]):
                continue  # its hidden folder is reported
            if path.name.startswith("."):
                self.problem(relative, "hidden file left over from a build: delete it before publishing")
            else:
                self.problem(relative, "stale file: neither the feed nor the page refers to it (left over from "
                                       "an earlier build?); delete it before publishing")
