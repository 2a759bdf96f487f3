"""The build: content -> model -> speech -> audio -> tags -> published files.

Planning and publishing run here, in order, in one process; only speech and
encoding fan out to workers (speaking/workers.py). Every guide's edition is written in a
staging folder beside the output folder and switched in only when all of them
are complete: a failed or killed build leaves the previous edition in place.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from . import phrases as strings
from .audio import codecs
from .audio.tags import Tags, render_id3
from .errors import ConfigError, ContentError, EngineError
from .layout import (
    COVER_FILE, FEED_FILE, HANDOUT_FILE, MANIFEST_FILE, OPML_FILE, PAGE_FILE, QR_PNG_FILE, QR_SVG_FILE,
    CATALOG_FILE, TOP_LEVEL_FILES, audiobook, full_audio, logo_file,
)
from .model import ChapterMark, Edition, Episode, EpisodeFiles, FullEdition, Guide, Line, Site, publisher
from .ffmpeg import ffmpeg_version
from .keys import cache_key, file_sha256, library_version
from .publishing import feed, manifest, page, transcripts
from .publishing.cover import load_cover, make_cover
from .publishing.writer import Writer
from .reading import identity, lexicon
from .reading.guides import file_language, read_guides
from .speaking.engine import DEFAULT_ENGINE, get_engine, resolve_voice
from .speaking.script import chapter_titles, section_script
from .speaking.workers import PIPELINE_VERSION, Cache, Job, Rendered, SynthStats, render_all

CHAPTER_LEAD_MS = 150  # a chapter starts just before its heading's first word
# Where `audio-guide serve` publishes by default: links work for trying an
# edition out on this computer until a public base URL is given.
LOCAL_BASE_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = Path("content")
    out_dir: Path = Path("output")
    cache_dir: Path = Path(".audio-guide-cache")
    base_url: str | None = None  # public address of out_dir; None: this computer
    jobs: int = 0  # 0: one per core
    engine: str | None = None  # overrides the guide's 'engine'
    default_engine: str = DEFAULT_ENGINE  # for guides that name none: the site's, else pyttsx3
    voice: str | None = None  # overrides the guide's
    rate: int | None = None  # overrides the guide's
    pacing: str | None = None  # overrides the guide's: a key of model.PACING
    timeout: float | None = None  # seconds per section; None scales with length
    m4b: bool = False  # also publish the full edition as an M4B audiobook
    site: Site = Site()  # the publishing clinic's branding


@dataclass(frozen=True)
class _Plan:
    guide: Guide
    voice: str
    rate: int
    jobs: list[Job]
    identity: identity.Identity
    cover: bytes


@dataclass
class BuildResult:
    editions: list[Edition] = field(default_factory=list)
    stats: SynthStats = field(default_factory=SynthStats)
    out_dir: Path = Path("output")

    def folder(self, edition: Edition) -> Path:
        return self.out_dir / edition.guide.slug


Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what happened)


def build(options: BuildOptions, progress: Progress = lambda done, total, message: None) -> BuildResult:
    """Build the edition of every guide in ``options.content_dir``."""
    base_url = _base_url(options.base_url)
    with Writer.open(options.out_dir) as writer:
        return _build(options, progress, base_url, writer)


def _build(options: BuildOptions, progress: Progress, base_url: str, writer: Writer) -> BuildResult:
    guides = read_guides(options.content_dir)
    plans = [_plan(guide, options) for guide in guides]
    jobs = [job for plan in plans for job in plan.jobs]
    total = len(jobs) + len(plans)
    done = [0]

    def on_job(job: Job, state: str):
        if state in ("cached", "synthesized"):
            done[0] += 1
        progress(done[0], total, f"{state}: {job.label}")

    # By default a worker per core; an engine whose voice is loaded once and
    # shared by speakers forked on every core wants one worker (each would
    # hold its own copy).
    shared = any(get_engine(job.engine).one_worker for job in jobs)
    workers = options.jobs or (1 if shared else os.cpu_count() or 1)
    rendered, stats = render_all(jobs, Cache(options.cache_dir), workers, options.timeout, on_job)
    result = BuildResult(stats=stats, out_dir=options.out_dir)
    for plan in plans:
        public = options.base_url is not None
        entries = [rendered[job.key] for job in plan.jobs]
        result.editions.append(_publish(plan, entries, options, base_url, public, writer))
        done[0] += 1
        progress(done[0], total, f"staged: {plan.guide.slug}")
    _write_top_level(writer, result.editions)

    def save_identities():  # before the switch, so a published guid is always on record
        for plan in plans:
            plan.identity.save()

    writer.publish([e.guide.slug for e in result.editions], list(TOP_LEVEL_FILES), save_identities)
    progress(done[0], total, f"published: {options.out_dir}")
    return result


def _base_url(given: str | None) -> str:
    if given is None:
        return LOCAL_BASE_URL
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"--base-url {given!r}: give the public address of the output folder, starting "
                          "with https:// (or http://), for example https://clinic.example/audio")
    return given.rstrip("/") + "/"


def _plan(guide: Guide, options: BuildOptions) -> _Plan:
    engine_name = options.engine or guide.voice.engine or options.default_engine
    try:
        engine = get_engine(engine_name)
    except EngineError as exc:
        if options.engine or not guide.voice.engine:
            raise
        raise ContentError(guide.path, None, f"'engine': {exc}") from None
    where = "--voice" if options.voice else f"{guide.path}: 'voice'"
    try:
        voice = resolve_voice(engine, options.voice or guide.voice.name, guide.language, options.content_dir, where)
    except EngineError as exc:  # no voice for the guide's language: say which guide
        raise ContentError(guide.path, None, str(exc)) from None
    paced = guide.voice.paced(options.pacing) if options.pacing else guide.voice
    rate = options.rate or paced.rate
    version = " ".join(filter(None, (engine.version(), voice.fingerprint)))
    words = lexicon.load(Path(guide.path).parent, options.content_dir, guide.language, file_language(guide.path))
    jobs = [
        Job(label=f"{guide.path}:{section.line}: section {n} of {len(guide.sections)}, '{section.title}'",
            engine=engine_name, engine_version=version, encoder_version=ffmpeg_version(), voice=voice.name,
            rate=rate, utterances=tuple(section_script(guide, n, paced.pauses, words, engine.takes_phonemes)),
            aac=options.m4b, voice_file=voice.path)
        for n, section in enumerate(guide.sections, start=1)
    ]
    if guide.cover:
        cover = load_cover(Path(guide.cover), guide.path, guide.cover_line)
    else:
        shown = (guide.title, guide.subtitle, guide.publisher or guide.author)
        cache = Cache(options.cache_dir)  # drawing 3000x3000 pixels takes half a second
        key = cache_key([PIPELINE_VERSION, "cover", library_version("Pillow"), shown])
        cover = cache.get_file(key, "jpg")
        if cover is None:
            try:
                cover = make_cover(*shown)
            except ConfigError as exc:
                raise ContentError(guide.path, None, str(exc)) from None
            cache.put_file(key, "jpg", cover)
    return _Plan(guide, voice.name, rate, jobs, identity.load(guide), cover)


def _episode_chapters(job: Job, entry: Rendered, titles: list[str]) -> tuple[ChapterMark, ...]:
    starts = [0]
    for i, utterance in enumerate(job.utterances):
        if utterance.chapter == len(starts) and i:
            previous_end = entry.spoken[i - 1].end
            starts.append(max(previous_end, entry.spoken[i].start - CHAPTER_LEAD_MS))
    ends = starts[1:] + [entry.duration_ms]
    return tuple(ChapterMark(t, s, e) for t, s, e in zip(titles, starts, ends))


def _publish(plan: _Plan, entries: list[Rendered], options: BuildOptions, base_url: str, public: bool,
             writer: Writer) -> Edition:
    """Write a guide's whole edition, in its folder, through ``writer``."""
    guide = plan.guide
    folder = _Folder(writer, guide.slug)
    guide_url = f"{base_url}{guide.slug}/"
    feed_url = guide_url + FEED_FILE
    identity.assign(plan.identity, guide, feed_url if public else None)
    podcast_guid = plan.identity.podcast_guid or identity.podcast_guid(feed_url)
    folder.write(COVER_FILE, plan.cover)
    tags = dict(album=guide.title, artist=publisher(guide, options.site), language=guide.language,
                copyright=guide.copyright or guide.license, description=guide.description,
                date=guide.published.isoformat() if guide.published else None, cover_jpeg=plan.cover)
    episodes = tuple(_write_episode(folder, plan, n, entry, tags)
                     for n, entry in enumerate(entries, start=1))
    full = _write_full_edition(folder, guide, entries, episodes, tags, options.m4b)
    site, logo = options.site, None
    if site.logo:  # published beside the page, which links it by a relative path
        logo = logo_file(site.logo)
        folder.write(logo, Path(site.logo).read_bytes())
    edition = Edition(guide, guide_url, podcast_guid, plan.voice, plan.rate, COVER_FILE, episodes, full, site, logo)
    folder.write(PAGE_FILE, page.render_page(edition))
    _write_handout(folder, edition, Cache(options.cache_dir))
    folder.write(FEED_FILE, feed.rss(edition))
    folder.write(MANIFEST_FILE, manifest.render(writer.written_in(guide.slug)))
    return edition


class _Folder:
    """A guide's folder in the writer: paths relative to it."""

    def __init__(self, writer: Writer, slug: str):
        self.writer, self.slug = writer, slug

    def write(self, relative: str, data: bytes | str) -> int:
        return self.writer.write(f"{self.slug}/{relative}", data)

    def stream(self, relative: str):
        return self.writer.stream(f"{self.slug}/{relative}")

    def by_tool(self, relative: str):
        return self.writer.by_tool(f"{self.slug}/{relative}")


def _write_handout(folder: _Folder, edition: Edition, cache: Cache) -> None:
    """The handout and its QR codes; the PDF from the cache when nothing it
    shows has changed: laying out a long guide's takes seconds."""
    # Here, not at the top: the PDF library takes a second to import (the QR
    # library a twentieth), which most commands need not wait for.
    from .publishing import handout, qr

    url = qr.page_url(edition)
    folder.write(QR_PNG_FILE, qr.qr_png(url))
    folder.write(QR_SVG_FILE, qr.qr_svg(url, edition.guide.language))
    site = edition.site
    # What the page shows, never where the files lie: moving the content
    # folder, or the logo, changes no handout.
    shown = dict(pipeline=PIPELINE_VERSION, fpdf2=library_version("fpdf2"),
                 guide=replace(edition.guide, path="", cover=None, cover_line=None),
                 site=replace(site, logo=file_sha256(Path(site.logo)) if site.logo else None),
                 url=url, feed=edition.feed_url, full_ms=edition.full.duration_ms,
                 episodes=[(e.number, e.section.title, e.duration_ms) for e in edition.episodes])
    key = cache_key(shown)
    pdf = cache.get_file(key, "pdf")
    if pdf is None:
        pdf = handout.render_handout(edition)
        cache.put_file(key, "pdf", pdf)
    folder.write(HANDOUT_FILE, pdf)


def _write_episode(folder: _Folder, plan: _Plan, number: int, entry: Rendered, tags: dict) -> Episode:
    guide, job = plan.guide, plan.jobs[number - 1]
    section = guide.sections[number - 1]
    files = EpisodeFiles.for_section(number, section.id)
    lines = tuple(Line(u.text, u.role, u.block, s.start, s.end, s.words) for u, s in zip(job.utterances, entry.spoken))
    chapters = _episode_chapters(job, entry, chapter_titles(section))
    tag = render_id3(Tags(title=section.title, track=number, tracks=len(guide.sections),
                          lyrics="\n".join(line.text for line in lines), chapters=chapters, **tags))
    size = folder.write(files.audio, tag + entry.mp3.read_bytes())
    guid, published = plan.identity.episode(section.id)
    episode = Episode(number, section, guid, published, files, size, entry.duration_ms, chapters, lines)
    _write_episode_texts(folder, guide, episode)
    return episode


def _write_full_edition(folder: _Folder, guide: Guide, entries: list[Rendered], episodes: tuple[Episode, ...],
                        tags: dict, m4b: bool) -> FullEdition:
    """The whole guide as one MP3 (and M4B) with a chapter per section, joined
    from the episodes' frames through a temporary file: never encoded again,
    never held in memory whole."""
    def section_marks(starts, length):
        return tuple(ChapterMark(s.title, a, b) for s, a, b in zip(guide.sections, starts, starts[1:] + [length]))

    title = strings.text(guide.language, "complete", guide=guide.title)
    mp3 = full_audio(guide.slug)
    joined = folder.writer.scratch("joined")
    with open(joined, "wb") as out:
        starts, length = codecs.join_frames([e.mp3 for e in entries], "mp3", out)
    marks = section_marks(starts, length)
    words = "\n\n".join("\n".join(line.text for line in e.lines) for e in episodes)
    tag = render_id3(Tags(title=title, track=1, tracks=1, lyrics=words, chapters=marks, **tags))
    with folder.stream(mp3) as out, open(joined, "rb") as frames:
        out.write(tag)
        shutil.copyfileobj(frames, out)
    m4b_file = None
    if m4b:
        with open(joined, "wb") as out:
            starts, aac_length = codecs.join_frames([e.aac for e in entries], "aac", out)
        m4b_file = audiobook(guide.slug)
        metadata = {"title": title, "album": guide.title, "artist": tags["artist"], "genre": "Audiobook",
                    "date": tags["date"], "comment": guide.description, "copyright": tags["copyright"]}
        chapters = [(m.title, m.start, m.end) for m in section_marks(starts, aac_length)]
        with folder.by_tool(m4b_file) as target:
            codecs.mux_m4b(joined, chapters, metadata, target)
    joined.unlink()
    return FullEdition(mp3, folder.writer.sizes[f"{folder.slug}/{mp3}"], length, marks, m4b_file)


def _write_episode_texts(folder: _Folder, guide: Guide, episode: Episode) -> None:
    files, lines = episode.files, episode.lines
    audio_href = "../" + files.audio
    folder.write(files.vtt, transcripts.to_vtt(lines, guide.language))
    folder.write(files.srt, transcripts.to_srt(lines))
    folder.write(files.txt, transcripts.to_text(lines))
    folder.write(files.html, transcripts.to_html(
        lines, guide_title=guide.title, section_title=episode.section.title, number=episode.number,
        total=len(guide.sections), language=guide.language, audio_href=audio_href,
        duration_ms=episode.duration_ms))
    folder.write(files.chapters, feed.chapters_json(episode.chapters))


def _write_top_level(writer: Writer, editions: list[Edition]) -> None:
    writer.write(OPML_FILE, feed.opml(editions))
    if len(editions) > 1:
        writer.write(CATALOG_FILE, page.render_catalog(editions))
