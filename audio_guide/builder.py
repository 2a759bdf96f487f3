"""The build: content -> model -> speech -> audio -> tags -> published files.

Planning and publishing run here, in order, in one process; only speech and
encoding fan out to workers (speaking/workers.py). Every guide's edition is
written through one writer (publishing/writer.py) and switched in only when
all of them are complete: a failed or killed build leaves the previous
edition in place.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .errors import ConfigError, ContentError, EngineError
from .ffmpeg import ffmpeg_version
from .keys import cache_key, library_version
from .layout import TOP_LEVEL_FILES
from .model import Edition, Guide, Site
from .publishing.cover import load_cover, make_cover
from .publishing.lettering import identity as lettering_identity
from .publishing import record
from .publishing.edition import Plan, fingerprint, lay_out_handout, publish_guide, write_top_level
from .publishing.writer import Writer
from .reading import identity, lexicon
from .reading.base_url import parse as parse_base_url
from .reading.guides import file_language, read_guides
from .speaking.engine import DEFAULT_ENGINE, get_engine, keyed_version, resolve_voice
from .speaking.script import section_script
from .speaking.workers import PIPELINE_VERSION, Cache, Job, SynthStats, render_all, speech_key

# Where `audio-guide serve` publishes by default: links work for trying an
# edition out on this computer until a public base URL is given.
LOCAL_BASE_URL = "http://127.0.0.1:8000/"


FORMATS = ("mp3", "m4b", "epub")  # what --format takes; mp3 is always made


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
    # What is published besides the MP3 episodes and full edition (always
    # made): "m4b", the full edition as an audiobook; "epub", a read-along book.
    formats: frozenset[str] = frozenset()
    site: Site = Site()  # the publishing clinic's branding
    # Where site.yaml is (or would be): the site's podcast guids are kept
    # there, in site-identity.json. None: beside content_dir.
    site_dir: Path | None = None
    cluster: str | None = None  # a Dask scheduler's address: speech and encoding run there, not in jobs


@dataclass
class BuildResult:
    editions: list[Edition] = field(default_factory=list)
    stats: SynthStats = field(default_factory=SynthStats)
    out_dir: Path = Path("output")
    # The guides (by folder name) whose published folder was already made
    # from exactly these inputs, and was left as it was.
    unchanged: list[str] = field(default_factory=list)

    def folder(self, edition: Edition) -> Path:
        return self.out_dir / edition.guide.slug


Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what happened)


def build(options: BuildOptions, progress: Progress = lambda done, total, message: None) -> BuildResult:
    """Build the edition of every guide in ``options.content_dir``."""
    unknown = set(options.formats) - set(FORMATS)
    if unknown:
        raise ConfigError(f"unknown format {', '.join(sorted(unknown))}: choose from {', '.join(FORMATS)}")
    base_url = _base_url(options.base_url)
    # The cluster first: an address that does not answer stops the build before it writes anything.
    with _cluster(options.cluster) as cluster, Writer.open(options.out_dir) as writer:
        return _build(options, progress, base_url, writer, cluster)


def _cluster(address: str | None):
    if address is None:
        return contextlib.nullcontext()
    from .speaking.cluster import open_cluster  # imports Dask: only for a build that asks for it

    return open_cluster(address)


def _build(options: BuildOptions, progress: Progress, base_url: str, writer: Writer, cluster) -> BuildResult:
    guides = read_guides(options.content_dir)
    plans = [_plan(guide, options) for guide in guides]
    # Read before any speech, as the guides' identities are: a damaged file stops the build at once.
    podcasts = identity.load_site(options.content_dir.parent if options.site_dir is None else options.site_dir)
    inputs = {plan.guide.slug: fingerprint(plan, options.site, options.formats, base_url, podcasts) for plan in plans}
    previous = {plan.guide.slug: record.read(options.cache_dir, options.out_dir / plan.guide.slug) for plan in plans}
    published: dict[str, Edition | None] = {}  # by guide: the edition left as published, if it is
    for plan in plans:
        edition = previous[plan.guide.slug].unchanged(inputs[plan.guide.slug])
        # As read now: where the guide lies is no input to its folder, but errors name it.
        published[plan.guide.slug] = replace(edition, guide=plan.guide) if edition else None
    changed = [plan for plan in plans if published[plan.guide.slug] is None]
    jobs = [job for plan in changed for job in plan.jobs]
    total = sum(len(plan.jobs) + 1 for plan in plans)
    done = [0]

    def on_job(job: Job, state: str):
        if state in ("cached", "synthesized"):
            done[0] += 1
        progress(done[0], total, f"{state}: {job.label}")

    for plan in plans:
        if published[plan.guide.slug]:
            done[0] += 1 + len(plan.jobs)
            progress(done[0], total, f"unchanged: {plan.guide.slug}")
    if not jobs:
        rendered, stats = {}, SynthStats()
    elif cluster is not None:
        rendered, stats = cluster.render_all(jobs, Cache(options.cache_dir), options.timeout, on_job)
    else:
        # By default a worker per core; an engine whose voice is loaded once and
        # shared by speakers forked on every core wants one worker (each would
        # hold its own copy).
        shared = any(get_engine(job.engine).one_worker for job in jobs)
        workers = options.jobs or (1 if shared else os.cpu_count() or 1)

        def lay_out_handouts():  # while the sections are rendered, so that publishing draws each once
            for plan in changed:
                lay_out_handout(plan, options.site, base_url, podcasts, Cache(options.cache_dir))

        rendered, stats = render_all(jobs, Cache(options.cache_dir), workers, options.timeout, on_job,
                                     lay_out_handouts)
    result = BuildResult(stats=stats, out_dir=options.out_dir,
                         unchanged=[slug for slug, edition in published.items() if edition])
    used = {}
    for plan in plans:
        slug = plan.guide.slug
        if published[slug] is None:
            writer.may_link(slug, previous[slug].intact())
            entries = [rendered[job.key] for job in plan.jobs]
            cache = Cache(options.cache_dir)
            published[slug] = publish_guide(plan, entries, options.site, options.formats, cache, base_url,
                                            podcasts, writer)
            used[slug] = cache.used | set(plan.cache_keys) | {
                speech_key(job, u.speech) for job in plan.jobs for u in job.utterances}
            done[0] += 1
            progress(done[0], total, f"staged: {slug}")
        result.editions.append(published[slug])
    write_top_level(writer, result.editions)

    def save_identities():  # before the switch, so a published guid is always on record
        for plan in plans:
            plan.identity.save()
        podcasts.save()

    writer.publish([plan.guide.slug for plan in changed], list(TOP_LEVEL_FILES), save_identities)
    for plan in changed:
        slug = plan.guide.slug
        record.save(options.cache_dir, options.out_dir / slug, inputs[slug], published[slug], used[slug],
                    writer.made_in(slug))
    progress(done[0], total, f"published: {options.out_dir}")
    return result


def _base_url(given: str | None) -> str:
    if given is None:
        return LOCAL_BASE_URL
    try:
        return parse_base_url(given)
    except ValueError as exc:
        raise ConfigError(f"--base-url {given!r}: {exc}") from None


def _plan(guide: Guide, options: BuildOptions) -> Plan:
    known = identity.load(guide)
    guide = identity.dated(guide, known)
    identity.assign(known, guide)  # a new section's guid and date: its files, and the fingerprint, need them
    engine_name = options.engine or guide.voice.engine or options.default_engine
    try:
        engine = get_engine(engine_name)
    except EngineError as exc:
        if options.engine or not guide.voice.engine:
            raise
        raise ContentError(guide.path, guide.line("engine"), f"'engine': {exc}") from None
    try:
        voice = resolve_voice(engine, options.voice or guide.voice.name, guide.language, options.content_dir,
                              "--voice" if options.voice else "'voice'")
    except (ConfigError, EngineError) as exc:  # the guide's voice, or none for its language: say where
        if options.voice:
            raise
        raise ContentError(guide.path, guide.line("voice" if guide.voice.name else "language"), str(exc)) from None
    paced = guide.voice.paced(options.pacing) if options.pacing else guide.voice
    rate = options.rate or paced.rate
    version = keyed_version(engine, voice)
    words = lexicon.load(Path(guide.path).parent, options.content_dir, guide.language, file_language(guide.path))
    jobs = [
        Job(label=f"{guide.path}:{section.line}: section {n} of {len(guide.sections)}, '{section.title}'",
            engine=engine_name, engine_version=version, encoder_version=ffmpeg_version(), voice=voice.name,
            rate=rate, utterances=tuple(section_script(guide, n, paced.pauses, words, engine.takes_phonemes)),
            aac="m4b" in options.formats, voice_file=voice.path)
        for n, section in enumerate(guide.sections, start=1)
    ]
    keys = [job.key for job in jobs]
    if guide.cover:
        cover = load_cover(Path(guide.cover), guide.path, guide.line("cover"))
    else:
        shown = (guide.title, guide.subtitle, guide.publisher or guide.author)
        cache = Cache(options.cache_dir)  # drawing 3000x3000 pixels takes half a second
        key = cache_key([PIPELINE_VERSION, "cover", library_version("Pillow"), lettering_identity(), shown])
        cover = cache.get_file(key, "jpg")
        if cover is None:
            try:
                cover = make_cover(*shown)
            except ConfigError as exc:
                raise ContentError(guide.path, guide.line("title"), str(exc)) from None
            cache.put_file(key, "jpg", cover)
        keys.append(key)
    return Plan(guide, voice.name, rate, jobs, known, cover, tuple(keys))
