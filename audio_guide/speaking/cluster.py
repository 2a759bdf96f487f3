"""Speech and encoding on an existing Dask distributed cluster (build --cluster).

The unit of work is the local pool's: one Job, rendered by the same
``workers.render``. The worker has audio-guide and its engines installed but
no content folder, no cache and no shared disk, so the client sends, with
each Job, the raw speech its per-utterance cache already holds for that
section (compressed, as the cache stores it), and the worker sends back as
bytes what a local worker would have written: the new utterances' speech
(compressed by the worker) and the section's MP3 (and AAC) with its record.
Only this process writes the cache and publishes, so a cluster build leaves
exactly the cache and the files a local build does.

Voices stay on each machine: a Job names its voice and carries the
fingerprint of its files (in ``engine_version``); a worker finds the voice of
that name among its own and renders only if its fingerprint, its engine's
version, its ffmpeg and its audio-guide are this computer's, since all of
them key the cache. Shipping a Piper voice (60 MB) with every Job would cost
more than most sections' speech; installing it once per worker does not.

Dask is imported only here, and this module only with --cluster.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from dataclasses import replace
from typing import Callable

from ..errors import AudioGuideError, ClusterError, ConfigError, EngineError
from ..ffmpeg import ffmpeg_version
from .engine import get_engine, keyed_version
from .speech_cache import SUFFIX
from .workers import Cache, Job, Rendered, SynthStats, raise_failures, render, speech_key, split_cached

try:
    import distributed
except ImportError:  # pragma: no cover - what a client without the extra sees
    distributed = None

# Long enough for a scheduler across a network to answer, short enough that
# a mistyped address is reported before anyone wonders.
CONNECT_TIMEOUT = 5
WORKER_WAIT = 10  # seconds a scheduler without workers is given to get one


class Cluster:
    """A connection to a Dask scheduler, for the length of one build."""

    def __init__(self, address: str):
        if distributed is None:
            raise ConfigError("--cluster needs Dask: pip install 'audio-guide[dask]' (on this computer and on "
                              "every worker)")
        self.address = address
        # Checked before a Client exists: one refused half-way waits on its way out.
        try:
            from distributed.comm.addressing import parse_address, parse_host_port
            from distributed.comm.registry import get_backend

            scheme, location = parse_address(address)
            get_backend(scheme)
            if scheme != "inproc":
                parse_host_port(location)
        except ValueError as exc:
            raise ConfigError(f"the cluster address {address!r} (--cluster, or site.yaml's 'cluster'): {exc}: "
                              "give the Dask scheduler's address, e.g. "
                              "tcp://192.0.2.10:8786") from None
        try:
            self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError):
            raise ClusterError(f"cannot reach the Dask scheduler at {address} within {CONNECT_TIMEOUT} s: is "
                               "'dask scheduler' running there, and is the address right?") from None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - a scheduler gone away already: nothing to close
            pass

    def render_all(self, jobs: list[Job], cache: Cache, timeout: float | None = None,
                   progress: Callable[[Job, str], None] = lambda job, state: None
                   ) -> tuple[dict[str, Rendered], SynthStats]:
        """``workers.render_all`` on the cluster: every job not cached is
        rendered by some worker, once more after a failure (a worker that dies
        under it does not count: Dask moves it); after a second failure the
        other sections still finish and are cached, then the build stops
        naming the section."""
        results, stats, queue = split_cached(jobs, cache, progress)
        if not queue:
            return results, stats
        self.speakers = self._refuse_strangers(queue)
        # A few sections per worker thread in flight, not the whole library:
        # each carries its cached speech, and each result waits in a worker's
        # memory until it is stored here.
        window = max(4, 3 * sum(self.client.nthreads().values()))
        waiting, pending, failures = list(reversed(queue)), {}, []
        running = distributed.as_completed([], loop=self.client.loop)

        def submit_next():
            job = waiting.pop()
            future = self._submit(job, cache, timeout)
            pending[future.key] = job
            running.add(future)

        while waiting and len(pending) < window:
            submit_next()
        for future in running:
            job = pending.pop(future.key)
            try:
                calls, speech, entry = future.result()
            except Exception as exc:  # noqa: BLE001 - anything a worker raised, or Dask about it
                failures.append(f"{job.label}: {_why(exc)}")
                progress(job, "failed")
            else:
                for key, data in speech.items():
                    cache.put_file(key, SUFFIX, data, sync=False)
                cache.put(job.key, *entry)
                results[job.key] = cache.get(job.key, job.aac)
                stats.engine_calls += calls
                stats.synthesized += 1
                progress(job, "synthesized")
            future.release()
            if waiting:
                submit_next()
        raise_failures(failures)
        return results, stats

    def _submit(self, job: Job, cache: Cache, timeout: float | None):
        """Send ``job`` to the cluster with the raw speech the cache holds for it."""
        carried = {}
        for utterance in job.utterances:
            key = speech_key(job, utterance.speech)
            data = cache.get_file(key, SUFFIX)  # compressed: sent as stored
            if data is not None:
                carried[key] = data
        # In the task rather than scattered: the scheduler keeps a task whole,
        # so it can run again elsewhere if its worker dies.
        return self.client.submit(_render_remote, job, carried, timeout or job.timeout(), _version(), self.speakers,
                                  key=f"audio-guide-section-{job.key}", retries=1, pure=False)

    def _refuse_strangers(self, queue: list[Job]) -> dict[str, int]:
        """Every worker must render what this computer would: refuse the build,
        naming the worker, if one differs in a version that keys the cache.
        Returns how many utterances a section speaks at once, by host."""
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT)
        except (OSError, TimeoutError):
            raise ClusterError(f"the Dask scheduler at {self.address} has no workers: start one on each machine "
                               f"with 'dask worker {self.address}'") from None
        voices = sorted({(job.engine, job.voice) for job in queue})
        reports = self.client.run(_worker_report, voices, on_error="return")
        wanted = {(job.engine, job.voice, job.engine_version, job.encoder_version): _expected(job, _version())
                  for job in queue}
        for worker, report in sorted(reports.items()):
            if isinstance(report, BaseException):
                raise ClusterError(f"the Dask worker {worker} cannot say what it runs ({report}): is audio-guide "
                                   "installed there?")
            for expected in wanted.values():
                differs = _differences(expected, report)
                if differs:
                    raise ClusterError(f"the Dask worker {worker} is refused: {differs}; its audio would not match "
                                       "this computer's: install the same versions there (pip install "
                                       "'audio-guide[dask]' and the engines the guides use), or stop it")
        # As the local pool does: the cores a machine's worker threads leave idle
        # speak utterances side by side, whether it runs one worker or several.
        threads: dict[str, int] = {}
        for worker, count in self.client.nthreads().items():
            host = distributed.comm.get_address_host(worker)
            threads[host] = threads.get(host, 0) + count
        hosts = {distributed.comm.get_address_host(worker): report["cores"] for worker, report in reports.items()}
        return {host: max(1, cores // threads[host]) for host, cores in hosts.items() if host in threads}


def _why(exc: BaseException) -> str:
    if isinstance(exc, ClusterError):
        return str(exc)
    if distributed is not None and isinstance(exc, distributed.KilledWorker):
        return "every Dask worker that tried it died (is a worker out of memory?)"
    if isinstance(exc, AudioGuideError):
        return f"the speech engine failed twice ({exc})"
    return f"the cluster could not render it ({type(exc).__name__}: {exc})"


def _expected(job: Job, version: str) -> dict:
    """What a worker must run to render ``job`` as the client (audio-guide ``version``) would."""
    return {"audio-guide": version, "ffmpeg": job.encoder_version,
            "voices": {f"{job.engine} {job.voice}": job.engine_version}}


def _differences(expected: dict, report: dict) -> str:
    """What of ``report`` (a worker's) is not ``expected`` (this computer's), in words."""
    said = []
    for what in ("audio-guide", "ffmpeg"):
        if report[what] != expected[what]:
            said.append(f"it runs {what} {report[what]!r}, this computer {expected[what]!r}")
    for voice, version in expected["voices"].items():
        theirs = report["voices"].get(voice)
        if theirs is None:
            continue
        if theirs.startswith("error: "):
            said.append(f"{voice}: {theirs[7:]}")
        elif theirs != version:
            said.append(f"its {voice} is {theirs!r}, this computer's {version!r}")
    return "; ".join(said)


def _version() -> str:
    """The audio-guide this process runs. Read from the package, which Python
    imports before any of its modules, rather than imported: the package's
    root loads the build, a stage above this one."""
    return sys.modules["audio_guide"].__version__


# What runs on a worker.

def _worker_report(voices: list[tuple[str, str]]) -> dict:
    """This worker's versions of everything that keys the cache."""
    try:
        encoder = ffmpeg_version()
    except AudioGuideError as exc:
        encoder = f"none ({exc})"
    report = {"audio-guide": _version(), "ffmpeg": encoder, "voices": {}, "cores": os.cpu_count() or 1}
    for engine, voice in voices:
        try:
            report["voices"][f"{engine} {voice}"] = _local_voice(engine, voice)[0]
        except AudioGuideError as exc:
            report["voices"][f"{engine} {voice}"] = f"error: {exc}"
    return report


@functools.lru_cache(maxsize=None)
def _local_voice(engine_name: str, voice: str) -> tuple[str, str]:
    """(version as a Job carries it, path of the voice's files) of ``voice`` here."""
    engine = get_engine(engine_name)
    found = engine.find_voice(voice)
    if found is None:
        raise EngineError(f"this worker's {engine_name} engine has no voice '{voice}': install it there "
                          f"(run 'audio-guide voices --engine {engine_name}' on it to list the ones it has)")
    return keyed_version(engine, found), found.path


def _render_remote(job: Job, speech: dict[str, bytes], timeout: float, client_version: str,
                   speakers: dict[str, int]):
    """Render ``job`` with ``speech`` (speech entries by key) as its cache; returns
    (engine calls, new speech by key, (files, record) of the section)."""
    worker = distributed.get_worker()
    try:
        version, path = _local_voice(job.engine, job.voice)
        differs = _differences(_expected(job, client_version), {
            "audio-guide": _version(), "ffmpeg": ffmpeg_version(),
            "voices": {f"{job.engine} {job.voice}": version}})
        if differs:  # a worker that joined after the build began
            raise ClusterError(f"the Dask worker {worker.address} is refused: {differs}")
        carried = _Carried(speech)
        parallel = speakers.get(distributed.comm.get_address_host(worker.address)) or \
            max(1, (os.cpu_count() or 1) // max(1, worker.state.nthreads))  # a host that joined later
        calls = render(replace(job, voice_file=path), carried, timeout, parallel)
    except AudioGuideError:
        raise
    except Exception as exc:  # noqa: BLE001 - an engine's own: not every one can be pickled
        raise EngineError(f"{type(exc).__name__}: {exc}") from None
    return calls, carried.new, carried.entry


class _Carried:
    """The Cache as ``render`` uses it, on a worker: what the client sent, and
    what is new, kept for the client to store."""

    def __init__(self, speech: dict[str, bytes]):
        self.speech = speech
        self.new: dict[str, bytes] = {}
        self.entry: tuple[dict[str, bytes], dict] | None = None

    def get_file(self, key: str, suffix: str) -> bytes | None:
        return self.speech.get(key) if suffix == SUFFIX else None

    def put_file(self, key: str, suffix: str, data: bytes, sync: bool = True) -> None:
        self.new[key] = data

    def put(self, key: str, files: dict[str, bytes], meta: dict) -> None:
        self.entry = (files, meta)


def _quiet() -> None:
    # A worker lost mid-build is Dask's to handle, and the progress says what
    # matters: its log lines would only break the progress line.
    for name in ("distributed", "distributed.client", "distributed.comm", "distributed.core"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def open_cluster(address: str) -> Cluster:
    """Connect to the Dask scheduler at ``address`` (tcp://HOST:PORT)."""
    _quiet()
    return Cluster(address)
