"""Benchmark of build --cluster against the local process pool, in one run.

On a generated guide (bench/run.py's: the real guide repeated to about
``--hours`` of speech, every copy new audio), each build cold (empty cache
and output folders) and in a fresh interpreter:

* the local pool, jobs=1 and jobs=2 (the baseline);
* a Dask cluster on this machine (distributed.LocalCluster: a scheduler and
  worker processes of one thread each, without Dask's sampling profiler, as
  the README starts them, started and warmed before the clock starts, as a
  standing cluster would be), with one worker and then two.

Then the building computer's own share of a library built on a cluster: one
leaflet (one copy) planned, its cover drawn, tagged, joined and published,
all its speech cached. It prints the seconds, the speed-up from one worker to two, and the load
average before and after, since a shared machine's other work shows in every
figure. Workers on one machine share its cores: the speed-up of separate
machines is bounded by their number, not this one's.

    .venv/bin/python bench/cluster.py                 # about 15 min of speech, espeak-ng
    .venv/bin/python bench/cluster.py --hours 0.5 --engine piper
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import SOURCE, make_guide  # noqa: E402 - the benchmark's own guide, as bench/run.py makes it


def task_build(content: str, out: str, cache: str, engine: str, jobs: int = 0, cluster: str | None = None) -> dict:
    from audio_guide import BuildOptions, build

    start = time.perf_counter()
    result = build(BuildOptions(content_dir=Path(content), out_dir=Path(out), cache_dir=Path(cache), jobs=jobs,
                                engine=engine, cluster=cluster))
    seconds = time.perf_counter() - start
    minutes = sum(e.duration_ms for e in result.editions[0].episodes) / 60000
    return dict(seconds=seconds, minutes=minutes, sections=result.stats.synthesized)


def child(**kwargs) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(kwargs)], stdout=subprocess.PIPE,
                          check=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _warm() -> None:
    import audio_guide.speaking.cluster  # noqa: F401 - what every task imports, loaded once per worker
    import audio_guide.speaking.workers  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=0.25, help="hours of speech in the generated guide")
    parser.add_argument("--engine", choices=("espeak-ng", "piper"), default="espeak-ng")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; each figure is the best of them")
    args = parser.parse_args()
    import dask
    from distributed import Client, LocalCluster

    from audio_guide.reading.guides import read_guide

    with tempfile.TemporaryDirectory(prefix="audio-guide-bench-") as name:
        tmp = Path(name)
        # A copy of the guide is about 4.4 minutes of espeak-ng speech at its rate (bench/run.py measures it).
        copies = max(1, round(args.hours * 60 / 4.4))
        guide = make_guide(copies, tmp)
        content = guide.parent.parent
        sections = len(read_guide(guide).sections)
        print(f"{copies} copies of {SOURCE.name}, {sections} sections, engine {args.engine}, "
              f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}", file=sys.stderr)
        runs: dict[str, dict] = {}

        def keep(label: str, run: dict) -> None:  # the best of the rounds: other work only ever slows one
            if label not in runs or run["seconds"] < runs[label]["seconds"]:
                runs[label] = run

        for n in range(args.repeat):
            for jobs in (1, 2):
                dirs = dict(out=str(tmp / f"out-j{jobs}-{n}"), cache=str(tmp / f"cache-j{jobs}-{n}"))
                keep(f"local pool, jobs={jobs}", child(content=str(content), engine=args.engine, jobs=jobs, **dirs))
            for workers in (1, 2):
                # Workers as the README starts them: without Dask's sampling
                # profiler, which doubles a section's time here.
                with dask.config.set({"distributed.worker.profile.enabled": False}), \
                        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, Client(cluster) as client:
                    client.run(_warm)
                    dirs = dict(out=str(tmp / f"out-w{workers}-{n}"), cache=str(tmp / f"cache-w{workers}-{n}"))
                    keep(f"Dask cluster, {workers} worker{'s' * (workers > 1)}",
                         child(content=str(content), engine=args.engine, cluster=cluster.scheduler_address, **dirs))
        for a, b in (("out-j2-0", "out-w2-0"), ("cache-j2-0", "cache-w2-0")):
            same = subprocess.run(["diff", "-rq", str(tmp / a), str(tmp / b)], capture_output=True).returncode == 0
            if not same:
                sys.exit(f"{a} and {b} differ: a cluster build must equal a local one")
        # What the building computer does alone for each guide of a library
        # built on a cluster: plan it, draw its cover, tag, join and publish
        # it. Measured on one copy (a leaflet of about 4.4 minutes) whose
        # speech is all cached, the cover not, into a new output folder.
        leaflet = make_guide(1, tmp / "leaflet").parent.parent
        dirs = dict(content=str(leaflet), cache=str(tmp / "leaflet-cache"), engine=args.engine, jobs=2)
        child(out=str(tmp / "leaflet-out"), **dirs)
        for cover in (tmp / "leaflet-cache").rglob("*.jpg"):
            cover.unlink()
        client_work = child(out=str(tmp / "leaflet-out-2"), **dirs)
        minutes = next(iter(runs.values()))["minutes"]
        print(f"| build ({minutes:.1f} min of speech, cold; best of {args.repeat}) | seconds | speech s per wall s |")
        print("| --- | --- | --- |")
        for label, run in runs.items():
            print(f"| {label} | {run['seconds']:.1f} | {minutes * 60 / run['seconds']:.0f} |")
        one, two = runs["Dask cluster, 1 worker"]["seconds"], runs["Dask cluster, 2 workers"]["seconds"]
        print(f"\nspeed-up from one Dask worker to two: {one / two:.2f}x "
              f"(local pool jobs=1 to jobs=2: {runs['local pool, jobs=1']['seconds'] / runs['local pool, jobs=2']['seconds']:.2f}x); "
              f"load average after: {os.getloadavg()[0]:.1f}; editions and caches of jobs=2 and 2 workers identical")
        print(f"the building computer's own work for one leaflet ({client_work['minutes']:.1f} min; speech cached, "
              f"cover drawn, published): {client_work['seconds']:.2f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(task_build(**json.loads(sys.argv[2]))))
    else:
        main()
