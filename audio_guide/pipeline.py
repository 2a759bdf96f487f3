"""The build: content -> model -> speech -> audio -> tags -> published files.

Planning and publishing run here, in order, in one process; only speech and
encoding fan out to workers (synth.py). Each guide's edition is written in a
staging folder beside the old one and swapped in only when complete.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import audio
from .content import read_guides
from .engines import DEFAULT_ENGINE, get_engine
from .errors import AudioGuideError, ConfigError
from .model import Guide
from .script import chapter_titles, section_script
from .synth import Cache, Job, Rendered, SynthStats, render_all
from .tags import ChapterMark, Tags, render_id3

CHAPTER_LEAD_MS = 150  # a chapter starts just before its heading's first word


@dataclass(frozen=True)
class BuildOptions:
    content_dir: Path = Path("content")
    out_dir: Path = Path("output")
    cache_dir: Path = Path(".audio-guide-cache")
    base_url: str | None = None
    jobs: int = 0  # 0: one per core
    engine: str = DEFAULT_ENGINE
    voice: str | None = None  # overrides the guide's
    rate: int | None = None  # overrides the guide's
    timeout: float | None = None  # seconds per section; None scales with length
    m4b: bool = False  # also publish the full edition as an M4B audiobook


@dataclass(frozen=True)
class Episode:
    number: int
    title: str
    file: str  # relative to the guide's folder
    duration_ms: int
    chapters: tuple[ChapterMark, ...]
    sentences: tuple[tuple[str, int, int], ...]  # (text, first word ms, end ms)


@dataclass(frozen=True)
class Edition:
    guide: Guide
    folder: Path
    voice: str
    rate: int
    episodes: tuple[Episode, ...]
    full: Episode
    audiobook: str | None  # the M4B full edition's file, when asked for


@dataclass
class BuildResult:
    editions: list[Edition] = field(default_factory=list)
    stats: SynthStats = field(default_factory=SynthStats)


Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what happened)


def build(options: BuildOptions, progress: Progress = lambda done, total, message: None) -> BuildResult:
    """Build the edition of every guide in ``options.content_dir``."""
    check_out_dir(options.out_dir)
    guides = read_guides(options.content_dir)
    engine = get_engine(options.engine)
    plans = [_plan(guide, engine, options) for guide in guides]
    jobs = [job for _, _, _, guide_jobs in plans for job in guide_jobs]
    workers = options.jobs or os.cpu_count() or 1
    total = len(jobs) + len(plans)
    done = [0]

    def on_job(job: Job, state: str):
        if state in ("cached", "synthesized"):
            done[0] += 1
        progress(done[0], total, f"{state}: {job.label}")

    rendered, stats = render_all(jobs, Cache(options.cache_dir), workers, options.timeout, on_job)
    result = BuildResult(stats=stats)
    for guide, voice, rate, guide_jobs in plans:
        result.editions.append(_publish(guide, voice, rate, [rendered[j.key] for j in guide_jobs], guide_jobs,
                                        options))
        done[0] += 1
        progress(done[0], total, f"published: {options.out_dir / guide.slug}")
    return result


def _plan(guide: Guide, engine, options: BuildOptions):
    wanted = options.voice or guide.voice.name or engine.default_voice(guide.language)
    names = {v.name.lower(): v.name for v in engine.voices()}
    voice = names.get(wanted.lower())
    if voice is None:
        where = "--voice" if options.voice else f"{guide.path}: 'voice'" if guide.voice.name else \
            f"the default voice for language '{guide.language}'"
        raise ConfigError(f"{where}: the {engine.name} engine has no voice '{wanted}'; "
                          "run 'audio-guide voices' to list the ones it has")
    rate = options.rate or guide.voice.rate
    version = engine.version()
    jobs = [
        Job(label=f"{guide.path}:{section.line}: section {n} of {len(guide.sections)}, '{section.title}'",
            engine=options.engine,
            engine_version=version, voice=voice, rate=rate,
            utterances=tuple(section_script(guide, n, guide.voice.pauses)), aac=options.m4b)
        for n, section in enumerate(guide.sections, start=1)
    ]
    return guide, voice, rate, jobs


def _date(guide: Guide) -> str | None:
    if guide.published:
        return guide.published.isoformat()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
    return None


def _episode_chapters(job: Job, entry: Rendered, titles: list[str]) -> tuple[ChapterMark, ...]:
    starts = [0]
    for i, utterance in enumerate(job.utterances):
        if utterance.chapter == len(starts) and i:
            previous_end = entry.timings[i - 1][1]
            starts.append(max(previous_end, entry.timings[i][0] - CHAPTER_LEAD_MS))
    ends = starts[1:] + [entry.duration_ms]
    return tuple(ChapterMark(t, s, e) for t, s, e in zip(titles, starts, ends))


def _publish(guide: Guide, voice: str, rate: int, entries: list[Rendered], jobs: list[Job],
             options: BuildOptions) -> Edition:
    final = options.out_dir / guide.slug
    staging = options.out_dir / f".staging-{guide.slug}"
    _recover(options.out_dir, guide.slug)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    common = dict(
        album=guide.title, artist=guide.author or guide.publisher or guide.title, language=guide.language,
        copyright=guide.copyright or guide.license, date=_date(guide), description=guide.description,
    )
    total = len(guide.sections)
    episodes, words = [], []
    for n, (section, job, entry) in enumerate(zip(guide.sections, jobs, entries), start=1):
        chapters = _episode_chapters(job, entry, chapter_titles(section))
        lines = "\n".join(u.text for u in job.utterances)
        words.append(lines)
        name = f"{n:02d}-{section.slug}.mp3"
        tag = render_id3(Tags(title=section.title, track=n, tracks=total, lyrics=lines, chapters=chapters,
                              **common))
        (staging / name).write_bytes(tag + entry.mp3.read_bytes())
        sentences = tuple((u.text, s, e) for u, (s, e) in zip(job.utterances, entry.timings))
        episodes.append(Episode(n, section.title, name, entry.duration_ms, chapters, sentences))

    def section_marks(starts, length):
        return tuple(ChapterMark(s.title, a, b) for s, a, b in zip(guide.sections, starts, starts[1:] + [length]))

    joined, starts, length = audio.join_frames([e.mp3.read_bytes() for e in entries], "mp3")
    marks = section_marks(starts, length)
    full_title = f"{guide.title}: complete guide"
    full_name = f"{guide.slug}-complete.mp3"
    tag = render_id3(Tags(title=full_title, track=1, tracks=1, lyrics="\n\n".join(words), chapters=marks,
                          **common))
    (staging / full_name).write_bytes(tag + joined)
    full = Episode(0, guide.title, full_name, length, marks, ())
    audiobook = None
    if options.m4b:
        joined, starts, length = audio.join_frames([e.aac.read_bytes() for e in entries], "aac")
        audiobook = f"{guide.slug}-complete.m4b"
        metadata = {"title": full_title, "album": guide.title, "artist": common["artist"], "genre": "Audiobook",
                    "date": common["date"], "comment": guide.description, "copyright": common["copyright"]}
        chapters = [(m.title, m.start, m.end) for m in section_marks(starts, length)]
        (staging / audiobook).write_bytes(audio.mux_m4b(joined, chapters, metadata))
    _swap(staging, final)
    return Edition(guide, final, voice, rate, tuple(episodes), full, audiobook)


def _recover(out_dir: Path, slug: str) -> None:
    """Finish a swap that an interrupted build left half done."""
    previous = out_dir / f".previous-{slug}"
    if previous.exists():
        if (out_dir / slug).exists():
            shutil.rmtree(previous)
        else:
            previous.rename(out_dir / slug)


def _swap(staging: Path, final: Path) -> None:
    previous = final.with_name(f".previous-{final.name}")
    if final.exists():
        final.rename(previous)
    staging.rename(final)
    shutil.rmtree(previous, ignore_errors=True)


def check_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioGuideError(f"{out_dir}: cannot create the output folder ({exc.strerror}): "
                              "choose another with --out") from None
