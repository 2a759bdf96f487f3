"""Speech to encoded audio, once: a content-addressed cache and worker processes.

Rendering a section is a pure function of a hashable request (its utterances,
the engine and its version, voice, rate, pauses, audio settings, pipeline
version) to a cache entry: the untagged MP3 and a JSON record of timings.
Planning and publishing stay in the parent process; only misses go to the
workers. Beneath the section cache, a per-utterance cache keeps each
utterance's raw speech and word events (compressed losslessly:
speech_cache.py) under (engine, version, voice, rate, spoken text): a change
to a section, or to the pronunciation lexicon, speaks only the utterances
whose spoken text changed, then masters and encodes the section again. Each
utterance is spoken from pristine engine state in a process of its own
(isolation.py says why), so cached and fresh speech sound the same and an
incremental build equals a clean one.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import multiprocessing
import os
import sys
from dataclasses import asdict, astuple, dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..audio import codecs, loudness
from ..errors import AudioGuideError, EngineError
from ..keys import cache_key, file_sha256
from ..system_calls import die_with_parent
from .engine import Speech, garbage, speech_timeout, spoken_words
from .isolation import speak_all
from .script import Utterance
from .speech_cache import SPEECH_FORMAT, SUFFIX, decode_speech, encode_speech

# 2: utterances spoken from pristine state, per-utterance cache; 3: word offsets in characters;
# 4: mastering makes up the loudness its limiter takes; 5: loudness measured through sosfilt (the last bit of
# a few samples differs); 6: the loudness and limiter filters in numpy, a block at a time. Each utterance's
# speech has its own version (speech_cache.SPEECH_FORMAT), so a bump here speaks nothing again.
PIPELINE_VERSION = "6"
LEAD_IN_MS = 150  # silence before the first word, so no player clips it
SILENCE_THRESHOLD = 300  # int16 amplitude under which a sample counts as silence
MIN_MS_PER_WORD = 50  # anything faster than 1200 wpm is not speech


@dataclass(frozen=True)
class Job:
    """A request to render one section. ``label`` names it in errors."""

    label: str
    engine: str
    engine_version: str
    encoder_version: str  # ffmpeg's: another build may encode other bytes
    voice: str
    rate: int
    utterances: tuple[Utterance, ...]
    aac: bool = False  # also encode AAC, for the M4B edition
    # Where the voice's files are, for engines whose voices are files (its
    # bytes are in engine_version): not keyed, as moving them changes no audio.
    voice_file: str = ""

    @functools.cached_property
    def key(self) -> str:
        request = asdict(self)
        # Neither the name, nor an extra format, nor where the voice lies changes the MP3.
        del request["label"], request["aac"], request["voice_file"]
        request["pipeline"] = PIPELINE_VERSION
        request["audio"] = [LEAD_IN_MS, loudness.TARGET_LUFS, loudness.PEAK_CEILING_DBFS, loudness.ENCODER_LOSS_LU,
                            codecs.MP3_SAMPLE_RATE, codecs.MP3_BITRATE]
        return cache_key(request)

    def timeout(self) -> float:
        """Seconds a healthy engine and encoder could need, with a wide margin."""
        return speech_timeout(u.speech for u in self.utterances)


@dataclass(frozen=True)
class Spoken:
    """Where one utterance sits in its section's audio, from the engine's own
    word events: ms from the start of the file."""

    start: int  # its first word
    end: int  # the end of its speech
    words: tuple[tuple[int, int], ...]  # (character offset in the text, ms) of each word


@dataclass(frozen=True)
class Rendered:
    """A cache entry: ``mp3`` holds the untagged audio."""

    key: str
    mp3: Path
    duration_ms: int
    spoken: tuple[Spoken, ...]  # one per utterance
    aac: Path | None  # ADTS AAC of the same audio, when one was asked for
    frames: codecs.Frames  # where the MP3's audio frames lie
    aac_frames: codecs.Frames | None = None


class Cache:
    """Files named by their request's hash; the JSON record is written last,
    so an entry without one was never finished, and holds each file's
    SHA-256, so a damaged one is rendered again rather than published."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.used: set[str] = set()  # the keys asked for or stored through this instance

    def _path(self, key: str, suffix: str) -> Path:
        return self.root / key[:2] / f"{key}.{suffix}"

    def get(self, key: str, aac: bool = False) -> Rendered | None:
        """The entry for ``key`` if it is whole (with AAC if asked)."""
        self.used.add(key)
        try:
            meta = json.loads(self._path(key, "json").read_text())
            if aac and "aac" not in meta["sha256"]:
                return None
            for suffix, digest in meta["sha256"].items():
                if file_sha256(self._path(key, suffix)) != digest:
                    return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        spoken = tuple(Spoken(start, end, tuple(map(tuple, words))) for start, end, words in meta["spoken"])
        frames = {kind: self._frames(key, kind, meta) for kind in meta["sha256"]}
        return Rendered(key, self._path(key, "mp3"), meta["duration_ms"], spoken,
                        self._path(key, "aac") if "aac" in frames else None, frames["mp3"], frames.get("aac"))

    def _frames(self, key: str, kind: str, meta: dict) -> codecs.Frames:
        if kind in meta.get("frames", {}):
            return codecs.Frames(*meta["frames"][kind])
        # An entry from before frames were recorded: found once more, here.
        return codecs.find_frames(self._path(key, kind).read_bytes(), kind)

    def put(self, key: str, files: dict[str, bytes], meta: dict) -> None:
        """Store ``files`` (by suffix) and then, last, their record."""
        self.used.add(key)
        self._path(key, "json").parent.mkdir(parents=True, exist_ok=True)
        for suffix, data in files.items():
            _write_atomic(self._path(key, suffix), data)
        digests = {suffix: hashlib.sha256(data).hexdigest() for suffix, data in files.items()}
        _write_atomic(self._path(key, "json"), json.dumps({**meta, "sha256": digests}).encode())

    def get_file(self, key: str, suffix: str) -> bytes | None:
        """A file stored on its own with ``put_file``, if it is whole."""
        self.used.add(key)
        try:
            stored = self._path(key, suffix).read_bytes()
        except OSError:
            return None
        digest, data = stored[:32], stored[32:]
        return data if hashlib.sha256(data).digest() == digest else None

    def put_file(self, key: str, suffix: str, data: bytes, sync: bool = True) -> None:
        """Store ``data`` after its SHA-256, which ``get_file`` checks (so an
        entry not ``sync``ed to disk that a power cut tore is merely redone)."""
        self.used.add(key)
        self._path(key, suffix).parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(self._path(key, suffix), hashlib.sha256(data).digest() + data, sync)


    def files(self) -> Iterator[tuple[str, Path]]:
        """(key, path) of every file of every entry, whole or not."""
        for folder in self.root.glob("??"):
            for path in folder.iterdir():
                yield path.name.lstrip(".").split(".")[0], path


def _write_atomic(path: Path, data: bytes, sync: bool = True) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if sync:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def _speech_span(pcm: np.ndarray) -> tuple[int, int]:
    """First and last+1 sample above the silence threshold."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > SILENCE_THRESHOLD)
    return (int(loud[0]), int(loud[-1]) + 1) if len(loud) else (0, 0)


def speech_key(job: Job, text: str) -> str:
    """The per-utterance cache key: everything that changes one utterance's
    raw speech (each is spoken from pristine engine state, so nothing else:
    not the pipeline's version, which mastering changes)."""
    return cache_key([SPEECH_FORMAT, job.engine, job.engine_version, job.voice, job.rate, text])


def _get_speech(cache: Cache, key: str) -> Speech | None:
    data = cache.get_file(key, SUFFIX)
    return None if data is None else decode_speech(data)


def _put_speech(cache: Cache, key: str, speech: Speech) -> None:
    cache.put_file(key, SUFFIX, encode_speech(speech), sync=False)  # one per utterance: many


# espeak-ng joins some short words into one word event (down to 87% of the
# words in a sentence of this guide) and splits numbers and symbols into
# several (up to 3 per written word): fewer events than 60% of the words, or
# none reaching the last three words, means speech was cut short.
MIN_EVENTS_PER_WORD = 0.6
LAST_WORDS = 3


def check_complete(job: Job, text: str, speech: Speech) -> None:
    """The engine's word events must cover ``text`` (what it was asked to
    say); engines that report no events at all are not judged here."""
    starts = [char for char, _ in spoken_words(text)]
    if not starts:
        return
    events = [char for char, _ in speech.words]
    needed = max(1, int(MIN_EVENTS_PER_WORD * len(starts)))
    if len(events) < needed or max(events) < starts[max(0, len(starts) - LAST_WORDS)]:
        reached = text[:max(events) if events else 0].count(" ")
        raise EngineError(f"{job.engine} did not speak all of {text[:60]!r}: {len(events)} word events for "
                          f"{len(starts)} words, the last near word {reached + 1 if events else 0}")


def _speak(job: Job, cache: Cache, speech_timeout: float, parallel: int = 1) -> tuple[list[Speech], int]:
    """Each utterance's raw speech, from the per-utterance cache or spoken
    now (only the texts not cached, each once); returns (speeches, engine calls)."""
    texts = [u.speech for u in job.utterances]
    keys = {text: speech_key(job, text) for text in texts}
    found = {text: _get_speech(cache, key) for text, key in keys.items()}
    missing = [text for text, speech in found.items() if speech is None]
    voice = job.voice_file or job.voice
    fresh = speak_all(job.engine, voice, job.rate, missing, speech_timeout, parallel) if missing else []
    events = any(speech.words for speech in fresh) or any(s.words for s in found.values() if s)
    for text, speech in zip(missing, fresh):
        wrong = garbage(speech, text)
        if wrong:
            raise EngineError(f"{job.engine} returned {wrong} for {text[:60]!r}")
        pcm = np.frombuffer(speech.samples, dtype="<i2")
        start, end = _speech_span(pcm)
        if end - start < len(text.split()) * MIN_MS_PER_WORD * speech.sample_rate // 1000:
            raise EngineError(f"{job.engine} returned no speech for {text[:60]!r}")
        if events:  # an engine that reports word events must report them for every utterance
            check_complete(job, text, speech)
        _put_speech(cache, keys[text], speech)
        found[text] = speech
    return [found[text] for text in texts], len(missing)


def _written_words(utterance: Utterance, words, base: int) -> list[tuple[int, int]]:
    """Word events as (offset in the written text, ms in the file): one per
    written place, the first word said for it."""
    mapped = []
    for char, ms in words:
        written = utterance.written_offset(char)
        if not mapped or written > mapped[-1][0]:
            mapped.append((written, base + ms))
    return mapped


def render(job: Job, cache: Cache, speech_timeout: float, parallel: int = 1) -> int:
    """Speak, master, encode and cache one section; returns engine calls made.

    Runs in a worker process, local (``cache`` is the build's) or on a
    cluster (``cache`` holds what the client sent and keeps what is new for
    it: cluster.py). Each utterance's raw speech comes from the
    per-utterance cache when its spoken text was said before with the same
    engine, voice and rate; the rest is spoken, each utterance from pristine
    engine state in a process of its own (isolation.py), so the
    section sounds the same whichever utterances were cached.
    """
    return _finished(*_spoken_and_mastered(job, cache, speech_timeout, parallel))


def _spoken_and_mastered(job: Job, cache: Cache, speech_timeout: float,
                         parallel: int) -> tuple[Callable[[], None], int]:
    """A section spoken and mastered; returns what encodes and caches it,
    and the engine calls made."""
    speeches, calls = _speak(job, cache, speech_timeout, parallel)
    pieces, spoken, rate, offset = [], [], None, 0
    for utterance, speech in zip(job.utterances, speeches):
        pcm = np.frombuffer(speech.samples, dtype="<i2")
        rate = rate or speech.sample_rate
        if speech.sample_rate != rate:
            raise EngineError(f"{job.engine} changed its sample rate mid-section")
        start, end = _speech_span(pcm)
        if not pieces:
            pieces.append(np.zeros(LEAD_IN_MS * rate // 1000, np.int16))
            offset = len(pieces[0])
        base = offset * 1000 // rate
        words = _written_words(utterance, speech.words, base) or [(0, base + start * 1000 // rate)]
        spoken.append((words[0][1], base + end * 1000 // rate, words))
        pause = np.zeros(utterance.pause_after * rate // 1000, np.int16)
        pieces += [pcm, pause]
        offset += len(pcm) + len(pause)
    mastered = loudness.master(np.concatenate(pieces), rate)

    def finish():
        files = {"mp3": codecs.encode_mp3(mastered, rate)}
        if job.aac:
            files["aac"] = codecs.encode_aac(mastered, rate)
        cache.put(job.key, files, {
            "duration_ms": len(mastered) * 1000 // rate,
            "spoken": spoken,
            "engine_version": job.engine_version,
            "frames": {kind: astuple(codecs.find_frames(data, kind)) for kind, data in files.items()},
        })
    return finish, calls


def _finished(finish: Callable[[], None], calls: int) -> int:
    finish()
    return calls


def _render_in_worker(job: Job, cache_root: str, speech_timeout: float, parallel: int = 1):
    """Worker entry: errors travel back as text, since not every exception
    can be pickled."""
    return _reported(lambda: render(job, Cache(cache_root), speech_timeout, parallel))


def _reported(work: Callable[[], object]) -> tuple[str, object]:
    try:
        return "ok", work()
    except AudioGuideError as exc:
        return "error", str(exc)
    except Exception as exc:  # an engine's own failure: report it, the parent retries
        return "error", f"{type(exc).__name__}: {exc}"


class _InProcess:
    """The Pool interface for ``_render_in_worker``, run here, each section
    when its result is asked for: one worker needs no process of its own (the
    engine still gets one), and saves starting one. While a section is
    encoded (by ffmpeg, a process of its own, on another core) the next one
    is spoken and mastered; no more than that one waits to be encoded, so
    memory stays that of two sections."""

    class _Result:
        def __init__(self, pool: "_InProcess", index: int):
            self._pool, self._index = pool, index
            self.encoded: concurrent.futures.Future | None = None  # set once mastered

        def ready(self):
            return self.encoded is not None and self.encoded.done()

        def get(self, timeout=None):
            self._pool._master_through(self._index + 1)
            return self.encoded.result()

    def __init__(self):
        self._asked: list[tuple[tuple, _InProcess._Result]] = []
        self._mastered = 0  # how many of them
        self._encoder = concurrent.futures.ThreadPoolExecutor(1)

    def apply_async(self, function, args):
        assert function is _render_in_worker
        result = self._Result(self, len(self._asked))
        self._asked.append((args, result))
        return result

    def _master_through(self, index: int) -> None:
        while self._mastered <= min(index, len(self._asked) - 1):
            (job, cache_root, speech_timeout, parallel), result = self._asked[self._mastered]
            status, value = _reported(
                lambda: _spoken_and_mastered(job, Cache(cache_root), speech_timeout, parallel))
            if self._mastered:
                self._asked[self._mastered - 1][1].encoded.result()  # one section waits, no more
            if status == "ok":
                result.encoded = self._encoder.submit(_reported, functools.partial(_finished, *value))
            else:
                result.encoded = concurrent.futures.Future()
                result.encoded.set_result((status, value))
            self._mastered += 1

    def terminate(self):
        self._encoder.shutdown(wait=True)

    close = join = terminate


def _pool(workers: int):
    if workers <= 1:
        return _InProcess()
    # Forked workers start at once with the audio stack already imported;
    # where fork is not the platform's way (macOS, Windows), spawn.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method).Pool(workers, initializer=die_with_parent, initargs=(os.getpid(),))


@dataclass
class SynthStats:
    synthesized: int = 0
    cached: int = 0
    engine_calls: int = 0
    retries: int = 0


def render_all(
    jobs: list[Job],
    cache: Cache,
    workers: int,
    timeout: float | None = None,
    progress: Callable[[Job, str], None] = lambda job, state: None,
    beside: Callable[[], object] | None = None,
) -> tuple[dict[str, Rendered], SynthStats]:
    """Render every job not already cached, ``workers`` at a time, and run
    ``beside``, in a thread of this process, while they are rendered (when
    every job was cached, not at all).

    A section whose speech fails, or takes longer than ``timeout`` seconds
    (default: scaled to its length), is retried once; after a second failure
    the other sections still finish (and stay cached), then the build stops
    with an error naming the section. A worker that itself stops answering
    is replaced.
    """
    results, stats, queue = split_cached(jobs, cache, progress)
    attempts = {job.key: 0 for job in queue}
    failures: list[str] = []
    alongside = concurrent.futures.ThreadPoolExecutor(1)
    started: concurrent.futures.Future | None = None
    while queue:
        if started:  # never fork with it at work: a worker could inherit a lock it holds
            started.result()
        pool = _pool(min(workers, len(queue)))
        if beside and not started:
            started = alongside.submit(beside)
        # Cores no worker uses speak utterances side by side (jobs=1 on two cores).
        parallel = max(1, (os.cpu_count() or 1) // min(workers, len(queue)))
        submitted = [(job, pool.apply_async(_render_in_worker, (job, str(cache.root), timeout or job.timeout(),
                                                                parallel)))
                     for job in queue]
        queue, hung = [], False
        for job, result in submitted:
            if hung and not result.ready():
                queue.append(job)  # never got a fair run: not an attempt
                continue
            # Speech has its own time limit; this one is for the worker itself.
            limit = 2 * (timeout or job.timeout()) + 60
            try:
                status, value = result.get(timeout=limit)
            except multiprocessing.TimeoutError:
                status, value = "error", f"the worker process stopped answering for {limit:.0f} s"
                hung = True  # a hung worker cannot be interrupted: start afresh
                pool.terminate()
            attempts[job.key] += 1
            if status == "ok":
                stats.engine_calls += value
                stats.synthesized += 1
                results[job.key] = cache.get(job.key, job.aac)
                progress(job, "synthesized")
            elif attempts[job.key] >= 2:
                failures.append(f"{job.label}: the speech engine failed twice ({value})")
                progress(job, "failed")
            else:
                stats.retries += 1
                progress(job, f"retrying ({value})")
                queue.append(job)
        if not hung:
            pool.close()
        pool.join()
    alongside.shutdown()
    if started:
        started.result()
    raise_failures(failures)
    return results, stats


def split_cached(jobs: list[Job], cache: Cache, progress: Callable[[Job, str], None]
                 ) -> tuple[dict[str, Rendered], SynthStats, list[Job]]:
    """The entries already cached, and the jobs still to render (each request once)."""
    stats = SynthStats()
    results: dict[str, Rendered] = {}
    queue: list[Job] = []
    for job in jobs:
        hit = cache.get(job.key, job.aac)
        if hit:
            results[job.key] = hit
            stats.cached += 1
            progress(job, "cached")
        elif job.key not in {j.key for j in queue}:
            queue.append(job)
    return results, stats, queue


def raise_failures(failures: list[str]) -> None:
    """Stop the build, naming the first section that failed for good."""
    if failures:
        more = f" (and {len(failures) - 1} more sections)" if len(failures) > 1 else ""
        raise EngineError(f"{failures[0]}{more}; try again, or choose another engine with --engine")
