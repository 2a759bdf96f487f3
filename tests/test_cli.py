"""The command line as clinic staff meet it."""

from __future__ import annotations

from .conftest import CONTENT, run_cli


def test_help_teaches():
    done = run_cli("--help")
    assert done.returncode == 0
    assert "audio-guide build" in done.stdout and "audio-guide voices" in done.stdout
    build_help = run_cli("build", "--help").stdout
    for option in ("--out", "--base-url", "--jobs", "--engine", "--voice", "--rate", "--format", "--quiet",
                   "--verbose", "Examples:"):
        assert option in build_help


def test_voices_lists_and_filters():
    done = run_cli("voices", "--language", "es")
    assert done.returncode == 0
    header, *lines = done.stdout.splitlines()
    assert header.split() == ["NAME", "LANGUAGE", "DESCRIPTION"]
    assert lines and all(" es" in line for line in lines)
    assert any(line.split()[0] == "es" for line in lines)


def test_build_reports_progress_as_plain_lines_and_a_summary(tmp_path):
    args = ("build", str(CONTENT), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"))
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    progress = done.stderr.splitlines()
    assert progress[0].startswith("[1/7] synthesized: ") and progress[-1].startswith("[7/7] published: ")
    assert "Journey Through Healing: 6 episodes" in done.stdout
    assert "6 sections spoken, 0 from cache" in done.stdout
    again = run_cli(*args, "--quiet")
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""

    checked = run_cli("check", str(tmp_path / "out"), "--content", str(CONTENT))
    assert checked.returncode == 0 and checked.stdout.strip() == "OK: 1 guide checked, no problems"
    (tmp_path / "out" / "journey-through-healing" / "audio" / "old.mp3").write_bytes(b"old")
    checked = run_cli("check", str(tmp_path / "out"), "--json")
    assert checked.returncode == 1
    assert '"path": "journey-through-healing/audio/old.mp3"' in checked.stdout


def test_bad_option_values_are_refused(tmp_path):
    done = run_cli("build", str(CONTENT), "--rate", "20", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "20 is not in the range 80<=x<=400" in done.stderr
    done = run_cli("build", str(CONTENT), "--voice", "nope", "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: --voice: the pyttsx3 engine has no voice 'nope'; run 'audio-guide "
                                   "voices --engine pyttsx3' to list the ones it has")
    assert "Traceback" not in done.stderr


def test_missing_content_folder(tmp_path):
    done = run_cli("build", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert done.returncode == 1
    assert done.stderr.strip() == (f"error: {tmp_path / 'nowhere'}: no such content folder: pass the folder "
                                   "that holds your guides")


def test_check_content_lints_the_guides_without_building(tmp_path):
    for name, text in [("a", "---\ntitle: A\nrate: 20\n---\n\n## S\n\nText.\n"),
                       ("b", "---\ntitle: B\n---\n\n## S\n\n## T\n\nText.\n"),
                       ("c", "---\ntitle: C\n---\n\n## S\n\nText.\n")]:
        (tmp_path / "content" / name).mkdir(parents=True)
        (tmp_path / "content" / name / "guide.md").write_text(text)
    done = run_cli("check", str(tmp_path / "no-edition"), "--content", str(tmp_path / "content"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    content = tmp_path / "content"
    assert done.stdout.splitlines() == [
        f"{content}/a/guide.md:3: 'rate' must be whole words per minute between 80 and 400; 150 is calm",
        f"{content}/b/guide.md:5: section 'S' has no text: write its text below the heading, or remove the heading",
    ]
    assert not (tmp_path / "no-edition").exists()
    clean = run_cli("check", str(tmp_path / "no-edition"), "--content", str(CONTENT))
    assert clean.returncode == 0 and clean.stdout.strip() == "OK: 1 guide checked, no problems"
