"""build --cluster: a real Dask scheduler and workers on loopback, started
with the `dask` commands as an operator would, each worker in an empty folder
(no content, no cache). A cluster build writes the same edition, and the same
cache, as a local one; a worker killed mid-build is replaced; a scheduler
that does not answer, or a worker of another version, stops the build
before it writes anything."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_guide.publishing import record

from .conftest import ROOT, run_cli

distributed = pytest.importorskip("distributed", reason="Dask is not installed: pip install 'audio-guide[dask]'")

SMALL = ROOT / "tests" / "fixtures" / "languages" / "small-steps"


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cache_entries(folder: Path) -> dict[str, bytes]:
    return {name: data for name, data in files(folder).items() if not name.startswith(f"{record.FOLDER}/")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def small_guide(folder: Path) -> Path:
    """A fresh copy of the small two-language guide: a build writes its identity files beside it."""
    content = folder / "content"
    shutil.copytree(SMALL, content / "small-steps")
    return content


def build(folder: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("build", str(folder / "content"), "--out", str(folder / "out"), "--cache-dir",
                   str(folder / "cache"), "--engine", "espeak-ng", *extra)


class Dask:
    """A scheduler and workers as separate processes, stopped at the end."""

    def __init__(self, folder: Path, **env: str):
        self.folder = folder
        self.processes: list[subprocess.Popen] = []
        # Workers import this audio-guide, and run where no content folder is.
        self.env = dict(os.environ, **env, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                                    os.environ.get("PYTHONPATH")])),
                        DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED="False")  # as the README starts workers
        self.cwd = folder / "worker"
        self.cwd.mkdir()
        self.address = f"tcp://127.0.0.1:{free_port()}"

    def __enter__(self) -> Dask:
        port = self.address.rsplit(":", 1)[1]
        self._start("scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def _start(self, *args: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=self.cwd, env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(process)
        return process

    def worker(self, *args: str) -> subprocess.Popen:
        return self._start("worker", self.address, "--nthreads", "1", "--no-dashboard", *args)

    def client(self):
        return distributed.Client(self.address, timeout=30, set_as_default=False)

    def wait_for_workers(self, count: int) -> None:
        with self.client() as client:
            client.wait_for_workers(count, timeout=60)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The small guide built here, with the local process pool: what a cluster build must equal."""
    folder = tmp_path_factory.mktemp("local")
    small_guide(folder)
    done = build(folder, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A scheduler and two workers, whose fake engine (tests.fake_engines)
    speaks noise for the English guide's second section."""
    with Dask(tmp_path_factory.mktemp("pair"), BAD_SECTION="Section 2 of") as dask:
        dask.worker()
        dask.worker()
        dask.wait_for_workers(2)
        yield dask


def test_a_cluster_build_equals_a_local_one(tmp_path, local, pair):
    small_guide(tmp_path)
    done = build(tmp_path, "--cluster", pair.address)
    assert done.returncode == 0, done.stderr
    assert "4 sections spoken, 0 from cache" in done.stdout
    assert files(tmp_path / "out") == files(local / "out")
    assert files(tmp_path / "content") == files(local / "content")  # identity files too
    # The client stored each utterance's speech and each section as a local build does (the records of
    # what each published folder was made from name their folders, which differ).
    assert cache_entries(tmp_path / "cache") == cache_entries(local / "cache")
    assert not any(p.name != "dask-scratch-space" for p in (pair.folder / "worker").iterdir())


def test_a_worker_speaks_only_what_the_cache_it_was_sent_lacks(tmp_path, pair):
    def edit(content: Path) -> None:
        guide = content / "small-steps" / "guide.md"
        guide.write_text(guide.read_text().replace("Go at your own pace.", "Go at your own gentle pace."))

    small_guide(tmp_path)
    assert build(tmp_path, "--jobs", "2").returncode == 0
    edit(tmp_path / "content")
    done = build(tmp_path, "--cluster", pair.address)
    assert done.returncode == 0, done.stderr
    # The section's other sentences went to the worker compressed, as the cache holds them, and were used.
    assert re.search(r"\b1 sections spoken, \d+ from cache \(1 utterances newly spoken\)", done.stdout), done.stdout
    cold = tmp_path / "cold"
    edit(small_guide(cold))
    assert build(cold, "--jobs", "2").returncode == 0
    assert files(tmp_path / "out") == files(cold / "out")
    speech = {name: data for name, data in files(tmp_path / "cache").items() if name.endswith(".speech")}
    assert speech.items() >= {(n, d) for n, d in files(cold / "cache").items() if n.endswith(".speech")}


def test_a_section_that_fails_twice_is_reported_and_the_others_kept(tmp_path, pair):
    small_guide(tmp_path)
    done = build(tmp_path, "--cluster", pair.address, "--engine", "tests.fake_engines:OneBadSectionEngine")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    line = done.stderr.splitlines()[-1]
    assert re.fullmatch(r"error: \S+guide\.md:18: section 2 of 2, 'A Short Walk': the speech engine failed twice "
                        r"\(.*returned noise instead of speech.*\); try again, or choose another engine with --engine",
                        line), line
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 3  # the other sections, each stored once
    assert files(tmp_path / "out") == {}


def test_a_worker_killed_mid_build_is_replaced(tmp_path, local):
    small_guide(tmp_path)
    with Dask(tmp_path) as dask:
        doomed = dask.worker("--no-nanny", "--name", "doomed")  # no nanny to bring it back
        dask.worker("--name", "survivor")
        dask.wait_for_workers(2)
        with dask.client() as client:
            doomed_address = next(address for address, worker in client.scheduler_info()["workers"].items()
                                  if worker["name"] == "doomed")
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "cli.py"), "build", str(tmp_path / "content"), "--out",
                 str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--engine", "espeak-ng", "--cluster",
                 dask.address], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Killed while a section is in its hands, not before it had one or after it is done.
            while not client.processing([doomed_address]).get(doomed_address):
                assert process.poll() is None, "the build finished before the doomed worker had a section"
                time.sleep(0.01)
            doomed.send_signal(signal.SIGKILL)
            stdout, stderr = process.communicate(timeout=300)
    assert doomed.wait() == -signal.SIGKILL
    assert process.returncode == 0, stderr
    assert "4 sections spoken, 0 from cache" in stdout
    assert files(tmp_path / "out") == files(local / "out")


def test_a_scheduler_that_does_not_answer_stops_the_build_in_one_line(tmp_path):
    content = small_guide(tmp_path)
    (tmp_path / "cache").mkdir()
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    done = build(tmp_path, "--cluster", address)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"error: cannot reach the Dask scheduler at {address} within 5 s: is "
                                        "'dask scheduler' running there, and is the address right?"]
    assert not (tmp_path / "out").exists()
    assert sorted(files(content)) == ["small-steps/guide.es.md", "small-steps/guide.md"]  # no identity written
    assert files(tmp_path / "cache") == {}


def test_a_worker_of_another_version_is_refused(tmp_path):
    import audio_guide

    small_guide(tmp_path)
    with Dask(tmp_path) as dask:
        (tmp_path / "site.yaml").write_text(f"cluster: {dask.address}\n")  # the site's cluster, not --cluster
        dask.worker("--preload", "tests.other_version")
        dask.wait_for_workers(1)
        done = build(tmp_path, "--site", str(tmp_path / "site.yaml"))
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: the Dask worker tcp://127.0.0.1:")
    assert (f"is refused: it runs audio-guide '0.0.0+another', this computer '{audio_guide.__version__}'; its "
            "audio would not match this computer's") in line
    assert files(tmp_path / "out") == {}
    assert sorted(files(tmp_path / "content")) == ["small-steps/guide.es.md", "small-steps/guide.md"]
