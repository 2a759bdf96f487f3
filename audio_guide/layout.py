"""Where every file of an edition goes: the one place that names output
files (and so their addresses, relative to a guide's folder). The builder
writes what this names, the page and the feed link it, and ``check`` expects
it: rename a file here and all of them follow."""

from __future__ import annotations

from pathlib import PurePosixPath

# Beside each other, in a guide's folder.
PAGE_FILE = "index.html"
FEED_FILE = "feed.xml"
COVER_FILE = "cover.jpg"
HANDOUT_FILE = "handout.pdf"
QR_PNG_FILE = "qr.png"
QR_SVG_FILE = "qr.svg"
MANIFEST_FILE = "SHA256SUMS"  # every other file's checksum, as sha256sum writes them
GUIDE_FILES = (PAGE_FILE, FEED_FILE, COVER_FILE, HANDOUT_FILE, QR_PNG_FILE, QR_SVG_FILE, MANIFEST_FILE)

# Beside the guides' folders, in the output folder.
OPML_FILE = "feeds.opml"
CATALOG_FILE = PAGE_FILE  # with several guides: the page that lists them
TOP_LEVEL_FILES = (OPML_FILE, CATALOG_FILE)


def episode_paths(number: int, section_id: str) -> dict[str, str]:
    """An episode's files by kind: its audio, transcripts and chapters."""
    stem = f"{number:02d}-{section_id}"
    return dict(audio=f"audio/{stem}.mp3", vtt=f"transcripts/{stem}.vtt", srt=f"transcripts/{stem}.srt",
                txt=f"transcripts/{stem}.txt", html=f"transcripts/{stem}.html",
                chapters=f"chapters/{stem}.chapters.json")


def full_audio(slug: str) -> str:
    """The whole guide as one MP3."""
    return f"audio/{slug}-complete.mp3"


def audiobook(slug: str) -> str:
    """The whole guide as an M4B audiobook (build --format m4b)."""
    return f"audio/{slug}-complete.m4b"


def book(slug: str) -> str:
    """The guide as a read-along EPUB 3 book with media overlays (build
    --format epub), beside the page: a download of its own, not audio."""
    return f"{slug}.epub"


def logo_file(source: str) -> str:
    """The clinic's logo as published beside the page, from its file's name."""
    return f"logo{PurePosixPath(source).suffix.lower()}"
