"""Every example the command line's help and the README give runs as written.

The examples are read from where users read them: the help of the command
group and of each of its commands (so a new command's examples are covered
without touching this file), and README.md. Each runs as a user would run it,
`audio-guide` being `python cli.py`, in a small workspace laid out as the
examples expect, and must exit 0 and do what it says.

What counts as an example:
- in the help, an indented line of a command's description that starts with
  `audio-guide ` (the Examples: blocks and the group's Start here: block); two
  or more spaces after the command, outside quotes, begin its description;
- in the README, in a ```sh block, each `audio-guide ...` command on a line,
  one offered in a comment too (`# or: pip install ... && audio-guide build`):
  a line is cut at `#`, `&&` and `;`;
- in the README's prose, an inline code span that starts with `audio-guide `
  or `python cli.py `.
An option's placeholder in capitals (`--base-url URL`) takes the sample value
the README's site.yaml example documents for that setting (base_url), so the
README's own sample stays the one source of it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import wave
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import click
import numpy as np
import pytest
import yaml
from PIL import Image

from audio_guide.cli import main

from .conftest import ROOT

README = ROOT / "README.md"
SMALL_GUIDE = ROOT / "tests" / "fixtures" / "languages" / "small-steps"  # English and its Spanish translation
# The folder names the examples use: journey-through-healing(-es) for --guide, my-guides for a content folder.
GUIDE_NAME = "journey-through-healing"

# Inline spans that start like a command but are not one to run as written, and why.
SKIP = {
    "say": "names the command in a sentence; its examples follow in the shell block below it",
    "build --cluster tcp://192.0.2.10:8786": "the address of a scheduler on the clinic's network (a documentation "
                                             "address); tests/test_cluster.py builds against a real one on loopback",
}

PLAYER = "afplay" if sys.platform == "darwin" else "aplay"
PIPER = find_spec("piper") is not None
LISTEN = find_spec("faster_whisper") is not None


@dataclass
class Example:
    argv: tuple[str, ...]  # after `audio-guide`
    sources: list[str] = field(default_factory=list)

    @property
    def command(self) -> str:
        return self.argv[0]

    @property
    def params(self) -> dict:
        """The values click gives the command for these arguments, defaults included."""
        command = main.get_command(click.Context(main), self.command)
        return command.make_context(self.command, list(self.argv[1:]), resilient_parsing=True).params

    @property
    def piper(self) -> bool:
        return self.params.get("engine") == "piper"

    def __str__(self) -> str:
        return shlex.join(self.argv)


def _command_part(line: str) -> str:
    """The command of an example line, without the description two spaces or more after it."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif line.startswith("  ", i):
            return line[:i]
    return line


def _commands(ctx: click.Context):
    """(name, command, its context) of every command, a group's own included (`cache prune`)."""
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        context = click.Context(command, parent=ctx, info_name=name)
        yield name, command, context
        if isinstance(command, click.Group):
            for sub in command.list_commands(context):
                subcommand = command.get_command(context, sub)
                yield f"{name} {sub}", subcommand, click.Context(subcommand, parent=context, info_name=sub)


def help_examples() -> list[tuple[str, str]]:
    ctx = click.Context(main, info_name="audio-guide")
    helps = [("audio-guide --help", main.get_help(ctx))]
    for name, command, context in _commands(ctx):
        helps.append((f"audio-guide {name} --help", command.get_help(context)))
    found = []
    for where, text in helps:
        description = text.split("\nOptions:")[0]
        for line in description.splitlines():
            if re.match(r" {3,}audio-guide ", line):
                found.append((where, _command_part(line.strip())))
    return found


def readme_examples() -> list[tuple[str, str]]:
    found = []
    in_shell = False
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        where = f"README.md:{number}"
        if line.startswith("```"):
            in_shell = line.strip() == "```sh"
            continue
        if in_shell:
            for piece in re.split(r"\s#\s|&&|;", line):
                piece = re.sub(r"^\s*or:", "", piece).strip()
                if piece.startswith("audio-guide "):
                    found.append((where, piece))
        else:
            found += [(where, span) for span in re.findall(r"`((?:audio-guide|python cli\.py) [^`]*)`", line)]
    return found


def _documented_samples() -> dict[str, str]:
    """The settings of the README's site.yaml example, the placeholders' sample values."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    samples = {}
    for block in blocks:
        data = yaml.safe_load(block)
        if isinstance(data, dict) and "base_url" in data:
            samples.update({key: str(value) for key, value in data.items()})
    return samples


def _fill_placeholders(argv: list[str], where: str) -> list[str]:
    samples = _documented_samples()
    filled = []
    for i, word in enumerate(argv):
        if re.fullmatch(r"[A-Z][A-Z_]+", word) and i and argv[i - 1].startswith("--"):
            key = argv[i - 1][2:].replace("-", "_")
            if key not in samples:
                raise AssertionError(f"{where}: {argv[i - 1]} {word} has no sample value in the README's "
                                     "site.yaml example: document one there, or list the example in SKIP")
            word = samples[key]
        filled.append(word)
    return filled


def collect() -> tuple[list[Example], list[tuple[str, str]]]:
    """Every example, each once, builds first (the others read what they build); and the skipped, with why."""
    examples: dict[tuple[str, ...], Example] = {}
    skipped = []
    for where, line in help_examples() + readme_examples():
        argv = shlex.split(line)
        argv = argv[2:] if argv[:2] == ["python", "cli.py"] else argv[1:]
        if shlex.join(argv) in SKIP:
            skipped.append((where, shlex.join(argv)))
            continue
        argv = tuple(_fill_placeholders(argv, where))
        examples.setdefault(argv, Example(argv)).sources.append(where)
    ordered = sorted(examples.values(), key=lambda e: e.command != "build" or "--help" in e.argv)
    return ordered, skipped


EXAMPLES, SKIPPED = collect()


def test_the_examples_are_found():
    """The collection itself: a rule that stopped matching would leave the examples untested."""
    ctx = click.Context(main, info_name="audio-guide")
    sources = {s for e in EXAMPLES for s in e.sources}
    for name, command, context in _commands(ctx):
        if "Examples:" in command.get_help(context):
            assert f"audio-guide {name} --help" in sources, f"no example found in {name}'s Examples: block"
    assert "audio-guide --help" in sources
    assert sum(s.startswith("README.md") for s in sources) >= 10
    # Every skip is still in the README, so the list cannot outlive its reasons.
    assert {argv for _, argv in SKIPPED} == set(SKIP)


# The workspace ----------------------------------------------------------------

def _guides(folder: Path, translated: bool) -> None:
    (folder / GUIDE_NAME).mkdir(parents=True)
    for source in SMALL_GUIDE.glob("guide*.md"):
        if translated or source.name == "guide.md":
            shutil.copyfile(source, folder / GUIDE_NAME / source.name)


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    """Where the examples run: a guide with its Spanish translation in content/
    (and in my-guides/), the logo the README's site.yaml names; and for Piper,
    which ships one English voice (a translation without a Piper voice stops
    the build, as the README says), the English guide alone. Each keeps its
    cache in its own default folder, shared by all its builds."""
    home = tmp_path_factory.mktemp("examples")
    main_space, english = home / "workspace", home / "english"
    _guides(main_space / "content", translated=True)
    _guides(main_space / "my-guides", translated=True)
    logo = _documented_samples().get("logo")
    if logo:
        Image.new("RGB", (256, 256), (40, 90, 140)).save(main_space / logo)
    _guides(english / "content", translated=False)
    _documents(home / "documents")
    return {"main": main_space, "english": english, "documents": home / "documents"}


def run(argv, cwd: Path, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _slugs(content: Path) -> list[str]:
    return [f"{folder.name}-{guide.name.split('.')[1]}" if guide.name != "guide.md" else folder.name
            for folder in sorted(content.iterdir()) for guide in sorted(folder.glob("guide*.md"))]


def _built(cwd: Path, out: Path) -> None:
    """An edition in `out`, for an example that reads one, when the build examples did not run first."""
    if not (cwd / out).is_dir():
        done = run(["build", "--out", str(out), "-q"], cwd)
        assert done.returncode == 0, done.stderr


def _speech(path: Path) -> float:
    """Seconds of speech in a WAV file, after checking it is one and is not silent."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds > 0.5 and np.abs(samples).max() > 3000, f"{path}: silent"
    assert np.sqrt(np.mean(samples ** 2)) > 300, f"{path}: nearly silent"
    return seconds


# The effects ------------------------------------------------------------------

def check_build(example: Example, done, cwd: Path, played: Path | None) -> None:
    given = example.params
    out = cwd / given["out_dir"]
    for slug in _slugs(cwd / given["content_dir"]):
        folder = out / slug
        for name in ("index.html", "feed.xml", "SHA256SUMS", "handout.pdf", "cover.jpg"):
            assert (folder / name).is_file(), f"{folder / name} missing"
        assert len(list((folder / "audio").glob("*.mp3"))) == 3  # the small guide's two sections and the whole
        assert f"-> {given['out_dir'] / slug}\n" in done.stdout
    feed = (out / GUIDE_NAME / "feed.xml").read_text(encoding="utf-8")
    page = (out / GUIDE_NAME / "index.html").read_text(encoding="utf-8")
    if given["voice"]:
        assert f"voice {given['voice']} at " in done.stdout
    if given["rate"]:
        assert f" at {given['rate']} wpm" in done.stdout
    if given["pacing"] == "brisk":
        assert " at 175 wpm" in done.stdout  # brisk's rate, as the README gives it
    if example.piper and not given["voice"]:
        assert "voice en_US-joe-medium at " in done.stdout  # the voice the piper extra ships
    for key in ("base_url", "email"):
        if given[key]:
            assert given[key] in feed
    for key in ("clinic_name", "contact"):
        if given[key]:
            assert html.escape(given[key]) in page
    if given["logo"]:
        assert '<img class="logo"' in page


def check_voices(example: Example, done, cwd: Path, played: Path | None) -> None:
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "LANGUAGE", "DESCRIPTION"] and len(lines) > 1
    wanted = example.params["language"]
    if wanted:
        assert all(re.split(r"\s{2,}", line)[1].startswith(wanted) for line in lines[1:]), done.stdout
    if example.piper:
        assert "en_US-joe-medium" in done.stdout


def check_say(example: Example, done, cwd: Path, played: Path | None) -> None:
    given = example.params
    if given["to"]:
        assert done.stdout.startswith(f"{given['to']}: ")
        _speech(cwd / given["to"])
    else:
        assert done.stdout.startswith("played ") and f" with {PLAYER}, " in done.stdout
        _speech(played)
    # Unless a voice is given, a translation is said in its own language's default voice.
    voice = given["voice"] or ("es" if (given["guide_name"] or "").endswith("-es") else None)
    if voice:
        assert f", voice {voice} at " in done.stdout


def check_check(example: Example, done, cwd: Path, played: Path | None) -> None:
    if example.params["as_json"]:
        report = json.loads(done.stdout)
        assert report["ok"] and report["problems"] == [] and report["guides_checked"] >= 1
    else:
        assert "no problems" in done.stdout
    if example.params["listen"]:
        assert "heard back with" in done.stdout and "every sentence heard" in done.stdout


def check_cache(example: Example, done, cwd: Path, played: Path | None) -> None:
    assert done.stdout.startswith("Would remove " if "--dry-run" in example.argv else "Removed ")
    assert "published guide folder" in done.stdout
    # What the published editions were made from is all still there: a build elsewhere speaks nothing.
    again = run(["build", "--out", "after-prune"], cwd)
    assert again.returncode == 0 and "\n0 sections spoken" in again.stdout, again.stdout + again.stderr


def check_import(example: Example, done, cwd: Path, played: Path | None) -> None:
    from audio_guide.reading.guides import read_guide

    written = sorted((cwd / example.params["content_dir"]).glob("*/guide.md"))
    assert len(written) == 1, written
    assert read_guide(written[0]).sections, written[0]  # a guide the build reads
    assert "guide.md" in done.stdout


CHECKS = {"build": check_build, "voices": check_voices, "say": check_say, "check": check_check,
          "import": check_import, "cache": check_cache}


def _documents(folder: Path) -> None:
    """The leaflets the import examples name, made as test_import makes them;
    each example imports into a folder of its own (several are one leaflet,
    whose guide would otherwise already exist)."""
    from .test_import import make_pdf, make_web_page, make_word

    folder.mkdir(parents=True)
    make_word(folder / "leaflet.docx")
    shutil.copyfile(folder / "leaflet.docx", folder / "Rest after pregnancy loss.docx")
    make_web_page(folder / "leaflet.html")
    Image.new("RGB", (40, 30), (120, 170, 200)).save(folder / "picture.png")
    make_pdf(folder / "leaflet.pdf", folder / "picture.png")


@pytest.fixture
def fake_player(tmp_path):
    """A player on an otherwise empty PATH that keeps the WAV it is given, for
    `say` without --to: what reached the speakers can then be heard."""
    if sys.platform == "win32":
        pytest.skip("say plays with winsound on Windows: no player to stand in for")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    player = bin_dir / PLAYER
    player.write_text(f"#!{sys.executable}\nimport os, shutil, sys\n"
                      "shutil.copyfile(sys.argv[-1], os.environ['EXAMPLE_PLAYED'])\n", encoding="utf-8")
    player.chmod(0o755)
    played = tmp_path / "played.wav"
    return {**os.environ, "PATH": str(bin_dir), "EXAMPLE_PLAYED": str(played)}, played


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_serve(example: Example, cwd: Path) -> None:
    """The server in the background (on a free port, should 8000 be taken here), asked for the listening page."""
    given = example.params
    _built(cwd, given["out_dir"])
    given_port = "--port" in example.argv
    port = str(given["port"]) if given_port else str(_free_port())
    argv = [*example.argv, *([] if given_port else ["--port", port])]
    server = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *argv], cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/{GUIDE_NAME}/index.html"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    page = response.read().decode("utf-8")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the server did not answer in 30 s"
                time.sleep(0.2)
        assert "Small Steps" in page and "<audio" in page
    finally:
        server.send_signal(signal.SIGINT if hasattr(signal, "SIGINT") else signal.SIGTERM)
        out, err = server.communicate(timeout=10)
    assert server.returncode == 0, err
    assert out.startswith(f"Serving {given['out_dir']} at http://")


@pytest.mark.parametrize("where, written", SKIPPED, ids=[written for _, written in SKIPPED])
def test_example_not_run(where, written):
    pytest.skip(f"{where}: audio-guide {written}: {SKIP[written]}")


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_example_runs(example: Example, workspaces, request):
    """Exit 0, and the effect it promises. Written in: the example's sources."""
    if example.piper and not PIPER:
        pytest.skip("the natural voice is not installed: pip install 'audio-guide[piper]'")
    if "--listen" in example.argv and not LISTEN:
        pytest.skip("check --listen's recognizer is not installed: pip install 'audio-guide[listen]'")
    cwd = workspaces["english" if example.piper else "main"]
    where = f"{example} (from {', '.join(example.sources)})"
    if example.command == "serve":
        return run_serve(example, cwd)
    if example.command == "import":
        cwd = request.getfixturevalue("tmp_path") / "import"
        shutil.copytree(workspaces["documents"], cwd)
    env, played = None, None
    if example.command == "say" and not example.params["to"]:
        env, played = request.getfixturevalue("fake_player")
    if example.command == "build":
        shutil.rmtree(cwd / example.params["out_dir"], ignore_errors=True)  # so what is there is new
    elif example.command in ("check", "cache"):
        _built(cwd, example.params.get("out_dir", Path("output")))
    done = run(example.argv, cwd, env)
    assert done.returncode == 0, f"{where} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    if "--help" in example.argv:
        assert done.stdout.startswith("Usage: ") and "Options:" in done.stdout
    elif example.command in CHECKS:
        CHECKS[example.command](example, done, cwd, played)
    else:
        pytest.fail(f"{where}: no effect is checked for '{example.command}': add one to CHECKS")
