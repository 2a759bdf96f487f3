"""A guide's edition, written: its sections as rendered (speaking/workers.py)
tagged, joined into the full edition, and published with their transcripts,
chapters, feed, page, handout, cover and checksums, every file through the
writer (writer.py), named by layout.py."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import subprocess
import sys
from dataclasses import astuple, dataclass, replace
from pathlib import Path

from .. import phrases as strings
from ..audio import codecs
from ..audio.tags import Tags, render_id3
from ..durations import clock
from ..ffmpeg import ffmpeg_version
from ..keys import cache_key, code_identity, file_sha256, library_version
from ..layout import (
    CATALOG_FILE, COVER_FILE, FEED_FILE, HANDOUT_FILE, MANIFEST_FILE, OPML_FILE, PAGE_FILE, QR_PNG_FILE,
    QR_SVG_FILE, audiobook, book, full_audio, logo_file,
)
from ..model import ChapterMark, Edition, Episode, EpisodeFiles, FullEdition, Guide, Line, Site, publisher
from ..reading import identity
from ..speaking.script import chapter_titles
from ..speaking.workers import PIPELINE_VERSION, Cache, Job, Rendered
from ..system_calls import fresh_python
from . import epub, feed, manifest, page, transcripts
from .writer import Writer

CHAPTER_LEAD_MS = 150  # a chapter starts just before its heading's first word


@dataclass(frozen=True)
class Plan:
    """A guide's edition before anything is spoken: its voice, the requests
    that render its sections, its identity and its cover."""

    guide: Guide
    voice: str
    rate: int
    jobs: list[Job]
    identity: identity.Identity
    cover: bytes
    cache_keys: tuple[str, ...] = ()  # the cache entries planning used (the sections', the cover's)


def _episode_chapters(job: Job, entry: Rendered, titles: list[str]) -> tuple[ChapterMark, ...]:
    starts = [0]
    for i, utterance in enumerate(job.utterances):
        if utterance.chapter == len(starts) and i:
            previous_end = entry.spoken[i - 1].end
            starts.append(max(previous_end, entry.spoken[i].start - CHAPTER_LEAD_MS))
    ends = starts[1:] + [entry.duration_ms]
    return tuple(ChapterMark(t, s, e) for t, s, e in zip(titles, starts, ends))


# What shapes the published files besides audio_guide's own code and the
# inputs: the libraries that draw, tag, typeset and template them.
_LIBRARIES = ("fpdf2", "fonttools", "Jinja2", "mutagen", "Pillow", "pymupdf-fonts", "segno", "uharfbuzz")


def fingerprint(plan: Plan, site: Site, formats: frozenset[str], base_url: str,
                podcasts: identity.SiteIdentity) -> str:
    """The key of everything ``publish_guide`` makes the guide's folder from:
    two builds with one fingerprint publish the same bytes (publishing/record.py)."""
    guide = plan.guide
    return cache_key(dict(
        code=code_identity(), python=sys.version, ffmpeg=ffmpeg_version(),
        libraries=[library_version(name) for name in _LIBRARIES],
        guide=replace(guide, path="", cover=None), voice=plan.voice, rate=plan.rate,
        sections=[job.key for job in plan.jobs], cover=_sha256(plan.cover),
        episodes=[plan.identity.episode(section.id) for section in guide.sections],
        podcast=_podcast_guid(plan, base_url, podcasts), base_url=base_url, formats=sorted(formats),
        site=replace(site, logo=file_sha256(Path(site.logo)) if site.logo else None)))


@functools.lru_cache(maxsize=4)
def _sha256(data: bytes) -> str:  # the cover's, once, rather than for every episode
    return hashlib.sha256(data).hexdigest()


def _podcast_guid(plan: Plan, base_url: str, podcasts: identity.SiteIdentity) -> str | None:
    return podcasts.podcast(plan.guide.slug, f"{base_url}{plan.guide.slug}/{FEED_FILE}",
                            plan.identity.legacy_podcast)


def publish_guide(plan: Plan, entries: list[Rendered], site: Site, formats: frozenset[str], cache: Cache,
                  base_url: str, podcasts: identity.SiteIdentity, writer: Writer) -> Edition:
    """Write a guide's whole edition, in its folder, through ``writer``:
    ``entries`` are its sections as rendered, ``podcasts`` the site's podcast
    guids (this guide's is made there once its feed is public), and
    ``formats`` what else to publish ("m4b": the audiobook, "epub": the
    read-along book)."""
    guide = plan.guide
    folder = _Folder(writer, guide.slug)
    folder.write(COVER_FILE, plan.cover)
    tags = dict(album=guide.title, artist=publisher(guide, site), language=guide.language,
                copyright=guide.copyright or guide.license, description=guide.description,
                date=guide.published.isoformat() if guide.published else None, cover_jpeg=plan.cover)
    episodes = tuple(_write_episode(folder, plan, n, entry, tags)
                     for n, entry in enumerate(entries, start=1))
    full = _write_full_edition(folder, guide, entries, episodes, tags, "m4b" in formats)
    edition = _edition(plan, site, base_url, podcasts, episodes, full)
    if edition.logo:  # published beside the page, which links it by a relative path
        folder.write(edition.logo, Path(site.logo).read_bytes())
    if "epub" in formats:  # the book holds the episodes, cover and logo as written above
        name = book(guide.slug)
        with folder.by_tool(name) as target:
            epub.write_book(edition, folder.staged, target)
        edition = replace(edition, book=name, book_size=writer.sizes[f"{guide.slug}/{name}"])
    folder.write(PAGE_FILE, page.render_page(edition))
    _write_handout(folder, edition, cache)
    folder.write(FEED_FILE, feed.rss(edition))
    folder.write(MANIFEST_FILE, manifest.render(writer.written_in(guide.slug)))
    return edition


def _edition(plan: Plan, site: Site, base_url: str, podcasts: identity.SiteIdentity,
             episodes: tuple[Episode, ...], full: FullEdition) -> Edition:
    guide = plan.guide
    return Edition(guide, f"{base_url}{guide.slug}/", _podcast_guid(plan, base_url, podcasts), plan.voice, plan.rate,
                   COVER_FILE, episodes, full, site, logo_file(site.logo) if site.logo else None)


def lay_out_handout(plan: Plan, site: Site, base_url: str, podcasts: identity.SiteIdentity, cache: Cache) -> None:
    """Find the guide's handout layout before its sections are rendered, to
    run beside them: the layout depends on everything the handout prints but
    the lengths (a column of fixed width), and finding a long guide's takes
    a second, which publishing then saves (it draws the handout once).

    In a process of its own, started afresh: the PDF library and its fonts
    take memory a build need not keep while its workers speak."""
    sections = enumerate(plan.guide.sections, start=1)
    unrendered = tuple(Episode(n, section, *plan.identity.episode(section.id), EpisodeFiles.for_section(n, section.id),
                               0, 0, (), ()) for n, section in sections)
    edition = _edition(plan, site, base_url, podcasts, unrendered, FullEdition("", 0, 0, (), None))
    key = _layout_key(_handout_shown(edition))
    if cache.get_file(key, "layout") is None:
        command, env = fresh_python("audio_guide.publishing.handout_ahead", str(os.getpid()))
        done = subprocess.run(command, input=pickle.dumps(edition), capture_output=True, env=env)
        if done.returncode == 0:  # else publishing lays it out, and reports what fails
            cache.put_file(key, "layout", done.stdout)


class _Folder:
    """A guide's folder in the writer: paths relative to it."""

    def __init__(self, writer: Writer, slug: str):
        self.writer, self.slug = writer, slug

    def write(self, relative: str, data: bytes | str, key: str | None = None) -> int:
        return self.writer.write(f"{self.slug}/{relative}", data, key)

    def reuse(self, relatives: tuple[str, ...], key: str) -> bool:
        return self.writer.reuse([f"{self.slug}/{relative}" for relative in relatives], key)

    def size(self, relative: str) -> int:
        return self.writer.sizes[f"{self.slug}/{relative}"]

    def stream(self, relative: str):
        return self.writer.stream(f"{self.slug}/{relative}")

    def by_tool(self, relative: str):
        return self.writer.by_tool(f"{self.slug}/{relative}")

    def staged(self, relative: str) -> Path:
        return self.writer.staged(f"{self.slug}/{relative}")


# The guide's fields the handout prints (its sections' titles come with the episodes).
_HANDOUT_FIELDS = ("slug", "title", "subtitle", "author", "publisher", "language", "description", "license",
                   "copyright", "keywords", "published", "updated")


def _write_handout(folder: _Folder, edition: Edition, cache: Cache) -> None:
    """The handout and its QR codes; the PDF from the cache when nothing it
    shows has changed: laying out a long guide's takes seconds."""
    # Here, not at the top: the QR library takes a twentieth of a second to
    # import (and the PDF library, only needed when the handout changed, half
    # a second), which most commands need not wait for.
    from . import qr

    url = qr.page_url(edition)
    folder.write(QR_PNG_FILE, qr.qr_png(url))
    folder.write(QR_SVG_FILE, qr.qr_svg(url, edition.guide.language))
    shown = _handout_shown(edition)
    key = cache_key(shown)
    pdf = cache.get_file(key, "pdf")
    if pdf is None:
        from . import handout

        laid_out = _layout_key(shown)
        layout = json.loads(cache.get_file(laid_out, "layout") or "null")
        pdf, layout = handout.lay_out(edition, tuple(layout) if layout else None)
        cache.put_file(laid_out, "layout", json.dumps(layout).encode())
        cache.put_file(key, "pdf", pdf)
    folder.write(HANDOUT_FILE, pdf)


def _handout_shown(edition: Edition) -> dict:
    """What the handout shows (durations as printed, to the second), never
    where the files lie: moving the content folder, or the logo, changes no
    handout, and nor do the sections' words, the voice or the owner's email,
    which it never prints: an edited sentence redraws at most the lengths,
    in the layout found before."""
    site = edition.site
    return dict(pipeline=PIPELINE_VERSION, fpdf2=library_version("fpdf2"),
                guide=[getattr(edition.guide, name) for name in _HANDOUT_FIELDS],
                site=replace(site, logo=file_sha256(Path(site.logo)) if site.logo else None, email=None),
                url=edition.url(""), feed=edition.feed_url, full=clock(edition.full.duration_ms),
                episodes=[(e.number, e.section.title, clock(e.duration_ms)) for e in edition.episodes])


def _layout_key(shown: dict) -> str:
    """The layout's: everything the handout shows but its durations."""
    return cache_key({**shown, "full": None, "episodes": [e[:2] for e in shown["episodes"]]})


def _write_episode(folder: _Folder, plan: Plan, number: int, entry: Rendered, tags: dict) -> Episode:
    guide, job = plan.guide, plan.jobs[number - 1]
    section = guide.sections[number - 1]
    files = EpisodeFiles.for_section(number, section.id)
    lines = tuple(Line(u.text, u.role, u.block, s.start, s.end, s.words) for u, s in zip(job.utterances, entry.spoken))
    chapters = _episode_chapters(job, entry, chapter_titles(section))
    tags = Tags(title=section.title, track=number, tracks=len(guide.sections),
                lyrics="\n".join(line.text for line in lines), chapters=chapters, **tags)
    guid, published = plan.identity.episode(section.id)
    episode = Episode(number, section, guid, published, files, 0, entry.duration_ms, chapters, lines)
    # Everything the episode's files are made from: when a build would make
    # them all again from the same, the published ones are taken as they are.
    key = cache_key([code_identity(), entry.key, replace(tags, cover_jpeg=_sha256(plan.cover)), episode,
                     guide.title, guide.language])
    if not folder.reuse(astuple(files), key):
        folder.write(files.audio, render_id3(tags) + entry.mp3.read_bytes(), key)
        _write_episode_texts(folder, guide, episode, key)
    return replace(episode, size=folder.size(files.audio))


def _write_full_edition(folder: _Folder, guide: Guide, entries: list[Rendered], episodes: tuple[Episode, ...],
                        tags: dict, m4b: bool) -> FullEdition:
    """The whole guide as one MP3 (and M4B) with a chapter per section, joined
    from the episodes' frames as found when they were encoded: never encoded
    again, never held in memory whole."""
    def section_marks(starts, length):
        return tuple(ChapterMark(s.title, a, b) for s, a, b in zip(guide.sections, starts, starts[1:] + [length]))

    title = strings.text(guide.language, "complete", guide=guide.title)
    mp3 = full_audio(guide.slug)
    starts, length = codecs.timeline([e.frames for e in entries], "mp3")
    marks = section_marks(starts, length)
    words = "\n\n".join("\n".join(line.text for line in e.lines) for e in episodes)
    tag = render_id3(Tags(title=title, track=1, tracks=1, lyrics=words, chapters=marks, **tags))
    with folder.stream(mp3) as out:
        out.write(tag)
        codecs.join_frames([(e.mp3, e.frames) for e in entries], out)
    m4b_file = None
    if m4b:
        joined = folder.writer.scratch("joined")
        with open(joined, "wb") as out:
            codecs.join_frames([(e.aac, e.aac_frames) for e in entries], out)
        starts, aac_length = codecs.timeline([e.aac_frames for e in entries], "aac")
        m4b_file = audiobook(guide.slug)
        metadata = {"title": title, "album": guide.title, "artist": tags["artist"], "genre": "Audiobook",
                    "date": tags["date"], "comment": guide.description, "copyright": tags["copyright"]}
        chapters = [(m.title, m.start, m.end) for m in section_marks(starts, aac_length)]
        with folder.by_tool(m4b_file) as target:
            codecs.mux_m4b(joined, chapters, metadata, target)
        joined.unlink()
    return FullEdition(mp3, folder.writer.sizes[f"{folder.slug}/{mp3}"], length, marks, m4b_file)


def _write_episode_texts(folder: _Folder, guide: Guide, episode: Episode, key: str) -> None:
    files, lines = episode.files, episode.lines
    audio_href = "../" + files.audio
    folder.write(files.vtt, transcripts.to_vtt(lines, guide.language), key)
    folder.write(files.srt, transcripts.to_srt(lines), key)
    folder.write(files.txt, transcripts.to_text(lines), key)
    folder.write(files.html, transcripts.to_html(
        lines, guide_title=guide.title, section_title=episode.section.title, number=episode.number,
        total=len(guide.sections), language=guide.language, audio_href=audio_href,
        duration_ms=episode.duration_ms), key)
    folder.write(files.chapters, feed.chapters_json(episode.chapters), key)


def write_top_level(writer: Writer, editions: list[Edition]) -> None:
    """The files beside the guides' folders: every feed in one OPML list, and
    with several guides a catalog page."""
    writer.write_unless_published(OPML_FILE, feed.opml(editions))
    if len(editions) > 1:
        writer.write_unless_published(CATALOG_FILE, page.render_catalog(editions))
