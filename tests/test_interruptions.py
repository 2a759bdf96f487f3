"""A build killed with SIGKILL at any moment leaves output/ holding exactly
the previous complete edition, which `check` passes, and the next build
completes without any clean-up."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_guide import BuildOptions, build
from audio_guide.checking.edition import check_edition, format_report
from audio_guide.model import Site

from .conftest import GUIDE, ROOT

KILLS = 20
SECTIONS = 2  # the introduction and the next section: every phase of a build, at a third of the cost


def tree(folder):
    """Every file and folder under ``folder`` (hidden ones too) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


def small_guide(tmp_path):
    lines = GUIDE.read_text(encoding="utf-8").splitlines(keepends=True)
    sections = [i for i, line in enumerate(lines) if line.startswith("## ")]
    folder = tmp_path / "content" / "journey-through-healing"
    folder.mkdir(parents=True)
    (folder / "guide.md").write_text("".join(lines[:sections[SECTIONS - 1]]), encoding="utf-8")
    return tmp_path / "content"


def start_build(content, out, cache, clinic):
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "build", str(content), "--out", str(out),
                             "--cache-dir", str(cache), "--jobs", "2", "--engine", "espeak-ng", "--verbose",
                             "--clinic-name", clinic],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)


def timeline(process) -> list[tuple[float, str]]:
    """The progress lines a build prints, each with when it came."""
    started, lines = time.monotonic(), []
    for line in process.stderr:
        lines.append((time.monotonic() - started, line))
    process.wait(timeout=300)
    assert process.returncode == 0, "".join(line for _, line in lines)
    return lines


def rendered(line: str) -> bool:
    return "synthesized:" in line or "cached:" in line


def phase(progress: list[str], cache) -> str:
    """Where the build was when it died, from the progress it had printed and
    what it had put in the cache (each utterance's speech, once its section
    is all spoken)."""
    text = "".join(progress)
    if "published:" in text:
        return "finished"
    if "staged:" in text:
        return "switching"
    if sum(map(rendered, progress)) == SECTIONS:
        return "tagging and writing"
    if any(cache.rglob("*.speech")):  # a section's speech is done: it is being mastered and encoded
        return "encoding"
    return "speaking"


def live_processes(session: int) -> list[str]:
    """The command lines of processes still running in the build's session
    (zombies excluded: they have exited, and only wait to be reaped)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # state, ppid, pgrp, session, ...
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(text[:text.rindex(")") + 1])
    return found


def kill_after(process, delay: float, when=None, after_rendering: bool = False) -> list[str]:
    """SIGKILL the build ``delay`` seconds after it starts, after ``when()``
    comes true, or after its last section is rendered; returns the progress
    it printed."""
    progress = []
    if after_rendering:
        for line in process.stderr:
            progress.append(line)
            if sum(map(rendered, progress)) == SECTIONS:
                break
    deadline = time.monotonic() + 60
    while when is not None and not when() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    progress += process.stderr.readlines()
    process.wait(timeout=60)
    return progress


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds leftover processes in /proc (Linux)")
def test_sigkill_at_twenty_moments_leaves_the_previous_edition(tmp_path):
    content, out = small_guide(tmp_path), tmp_path / "out"
    cache = tmp_path / "cache"
    cold = timeline(start_build(content, out, cache, "Clinic 0"))
    speaking = cold[[i for i, (_, line) in enumerate(cold) if rendered(line)][-1]][0]
    # Another clinic's name: an unchanged build would be left as published, with nothing to time.
    warm = timeline(start_build(content, out, cache, "Clinic 0, warm"))
    last = [i for i, (_, line) in enumerate(warm) if rendered(line)][-1]
    publishing = warm[-1][0] - warm[last][0]
    assert check_edition(out) == []
    previous = tree(out)
    seen = []
    for kill in range(KILLS):
        # Even kills hit cold builds (nothing cached): the first six spread
        # over the time speech took, the next four just after a section's
        # speech is done, while it is mastered and encoded. Odd kills hit warm
        # builds, spread over tagging, writing and switching. Each build
        # brands the edition anew, so it differs from the one it would replace.
        clinic = f"Clinic {kill + 1}"
        cold_build, n = kill % 2 == 0, kill // 2
        kill_cache = tmp_path / f"cold-{kill}" if cold_build else cache
        process = start_build(content, out, kill_cache, clinic)
        if cold_build and n < 6:
            progress = kill_after(process, speaking * (n + 0.5) / 6)
        elif cold_build:
            progress = kill_after(process, 0.03 * (n - 6), when=lambda: any(kill_cache.rglob("*.speech")))
        else:
            progress = kill_after(process, publishing * (n + 0.5) / 10, after_rendering=True)
        seen.append(phase(progress, kill_cache))
        time.sleep(0.2)  # the kernel delivers the workers' parent-death signal
        orphans = live_processes(process.pid)
        assert not orphans, f"kill {kill + 1}: worker or engine processes outlived the build: {orphans}"
        if seen[-1] == "finished":
            previous = tree(out)  # it got there first: its edition is the previous one now
        now = tree(out)
        assert now == previous, (f"kill {kill + 1} ({seen[-1]}) changed output/: "
                                 f"{sorted(set(now) ^ set(previous))[:3] or 'file contents'}")
        problems = check_edition(out)
        assert problems == [], f"kill {kill + 1} ({seen[-1]}):\n{format_report(problems)}"
        # The next build, over whatever the killed one left, completes.
        build(BuildOptions(content_dir=content, out_dir=out, cache_dir=kill_cache, jobs=2, engine="espeak-ng",
                           site=Site(clinic_name=clinic)))
        assert clinic in (out / "journey-through-healing" / "feed.xml").read_text(encoding="utf-8")
        previous = tree(out)
        if kill_cache != cache:
            shutil.rmtree(kill_cache)
    print("phases the kills landed in:", {name: seen.count(name) for name in sorted(set(seen))})
    assert seen.count("speaking") >= 2 and seen.count("encoding") >= 2, seen
    assert seen.count("tagging and writing") + seen.count("switching") >= 8, seen


def test_a_second_build_into_the_same_folder_waits_its_turn(tmp_path):
    content, out = small_guide(tmp_path), tmp_path / "out"
    first = start_build(content, out, tmp_path / "cache", "Clinic 1")
    staging = tmp_path / ".out.staging"
    deadline = time.monotonic() + 60
    while not staging.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run([sys.executable, str(ROOT / "cli.py"), "build", str(content), "--out", str(out),
                             "--cache-dir", str(tmp_path / "cache-2"), "--engine", "espeak-ng"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert first.poll() is None, "the first build ended before the second could meet it"
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert second.stderr.strip() == (f"error: {out}: another build is writing this folder right now: wait for it "
                                     "to finish, or build into another folder with --out")
    timeline(first)  # the first is undisturbed
    assert check_edition(out) == []


@pytest.fixture
def mount_point(tmp_path):
    """An output folder that is a file system of its own, where this machine lets us mount one."""
    folder = tmp_path / "share"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a file system here (needs root)")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def test_an_output_folder_that_is_a_mount_of_its_own(tmp_path, mount_point):
    content = small_guide(tmp_path)
    for clinic in ("Clinic 1", "Clinic 2"):  # the second replaces an edition already on the mount
        build(BuildOptions(content_dir=content, out_dir=mount_point, cache_dir=tmp_path / "cache", jobs=2,
                           engine="espeak-ng", site=Site(clinic_name=clinic)))
    assert check_edition(mount_point) == []
    assert "Clinic 2" in (mount_point / "journey-through-healing" / "feed.xml").read_text(encoding="utf-8")
    assert not (tmp_path / ".share.staging").exists()
