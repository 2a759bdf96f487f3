"""What speaking each utterance in a process of its own (speaking/isolation.py)
promises, now that its server keeps a template per engine, voice, rate and
environment for every request after the first: each text's audio is the same
whatever that template's speakers said before, a hung speaker is killed by its
request's timeout and leaves the template speaking, a crashed one is reported,
a template stuck starting is killed and replaced, and nothing is left running
once the caller is gone. The template processes are looked for in /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from audio_guide.errors import EngineError
from audio_guide.speaking import isolation
from audio_guide.speaking.engine import DEFAULT_ENGINE
from audio_guide.speaking.isolation import speak_all

from .conftest import ROOT

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or not hasattr(os, "fork"),
                                reason="the templates are found in Linux's /proc")

TEXT = "Remember, healing takes time, and it is okay to move at your own pace."
OTHERS = ["Seek support.", "Give yourself permission to feel whatever emotions arise."]
HANGS = "tests.fake_engines:HangsOnCueEngine"
CRASHES = "tests.fake_engines:CrashesOnCueEngine"
STUCK = "tests.fake_engines:StuckStartingEngine"


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
        except (OSError, IndexError, ValueError):  # gone meanwhile
            continue
    return found


def templates() -> set[int]:
    """The processes this process's speech server runs: its templates."""
    return children(isolation._server["process"].pid)


def started_templates() -> set[int]:
    return templates() if isolation._server.get("pid") == os.getpid() else set()


def eventually(check, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_kept_template_speaks_each_text_as_a_new_one_would(monkeypatch):
    monkeypatch.setenv("AUDIO_GUIDE_TEST_TEMPLATE", "kept")  # an environment no earlier test spoke in
    before = started_templates()
    [first] = speak_all(DEFAULT_ENGINE, "en", 150, [TEXT], 60)
    [kept] = templates() - before
    after_others = speak_all(DEFAULT_ENGINE, "en", 150, [*OTHERS, TEXT], 60, parallel=2)[-1]
    [again] = speak_all(DEFAULT_ENGINE, "en", 150, [TEXT], 60)
    assert templates() - before == {kept}  # one template answered all three
    monkeypatch.setenv("AUDIO_GUIDE_TEST_TEMPLATE", "fresh")  # another environment: a template of its own
    [fresh] = speak_all(DEFAULT_ENGINE, "en", 150, [TEXT], 60)
    assert len(templates() - before - {kept}) == 1
    assert first == after_others == again == fresh


def test_a_request_that_times_out_is_killed_and_its_template_speaks_on():
    before = started_templates()
    [first] = speak_all(HANGS, "en", 150, [TEXT], 60)
    [template] = templates() - before
    started = time.monotonic()
    with pytest.raises(EngineError, match="no answer from the speech engine within 2 s"):
        speak_all(HANGS, "en", 150, [TEXT, "Hang here, please."], 2)
    assert time.monotonic() - started < 10
    # The request's process and its hung speaker are gone; the template, which never spoke, speaks on.
    assert eventually(lambda: not children(template))
    assert speak_all(HANGS, "en", 150, [TEXT], 60) == [first]
    assert template in templates()


def test_a_crashed_speaker_is_reported_and_its_template_speaks_on():
    [first] = speak_all(CRASHES, "en", 150, [TEXT], 60)
    with pytest.raises(EngineError, match=r"the speech engine failed: the engine process ended with code -11"):
        speak_all(CRASHES, "en", 150, [TEXT, "Crash here, please.", *OTHERS], 60)
    assert speak_all(CRASHES, "en", 150, [*OTHERS, TEXT], 60)[-1] == first


def test_a_template_stuck_starting_is_killed_and_the_next_request_gets_a_new_one(tmp_path, monkeypatch):
    monkeypatch.setenv("STUCK_MARKER", str(tmp_path / "stuck"))
    before = started_templates()
    with pytest.raises(EngineError, match="no answer from the speech engine within 2 s"):
        speak_all(STUCK, "en", 150, [TEXT], 2)
    assert (tmp_path / "stuck").exists()
    assert eventually(lambda: templates() <= before)  # the one started for it was killed
    [speech] = speak_all(STUCK, "en", 150, [TEXT], 60)
    assert speech == speak_all("espeak-ng", "en", 150, [TEXT], 60)[0]


def test_the_least_recently_used_template_leaves_past_the_limit():
    for rate in range(150, 150 + isolation._TEMPLATES + 2):
        speak_all(DEFAULT_ENGINE, "en", rate, [OTHERS[0]], 60)
    assert eventually(lambda: len(templates()) <= isolation._TEMPLATES)


def test_nothing_is_left_running_once_the_caller_is_killed():
    script = textwrap.dedent(f"""
        from audio_guide.speaking.isolation import speak_all
        speak_all({HANGS!r}, "en", 150, ["Hang here, please."], 600)
    """)
    caller = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, start_new_session=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})

    def session() -> set[int]:
        found = set()
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and os.getsid(int(entry.name)) == caller.pid \
                        and "Z" not in (entry / "stat").read_text().rsplit(")", 1)[1].split()[:1]:
                    found.add(int(entry.name))
            except (OSError, ValueError):
                continue
        return found

    try:
        # The caller, its server, the template, the request's process and the hung speaker.
        assert eventually(lambda: len(session()) >= 5, 30), session()
        caller.send_signal(signal.SIGKILL)
        caller.wait()
        assert eventually(lambda: not session()), session()
    finally:
        for pid in session():  # what a failure left
            os.kill(pid, signal.SIGKILL)
