"""Shared fixtures: one real build of content/ per session, and the real tools
that judge it (ffprobe and ffmpeg from the system, installed by
tests/install-tools.sh)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
GUIDE = CONTENT / "journey-through-healing" / "guide.md"
# The guide's source text as written, kept in the repository so a clone tests alone.
SEED = ROOT / "tests" / "fixtures" / "source" / "journey-through-healing.txt"


def require_tool(name: str) -> str:
    """The path of a system tool; a missing one skips the test on a developer
    machine and fails it in CI, where tests/install-tools.sh installs it."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed: run 'bash tests/install-tools.sh' (Debian: apt-get install {name})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def ffprobe(path: Path) -> dict:
    out = subprocess.run([require_tool("ffprobe"), "-v", "error", "-show_format", "-show_chapters", "-show_streams",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: a new process, its exit code and its words."""
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


@pytest.fixture(scope="session")
def piper_edition(tmp_path_factory):
    """content/ built once with the natural voice (Piper), two workers."""
    pytest.importorskip("piper", reason="the natural voice is not installed: pip install 'audio-guide[piper]'")
    from audio_guide import BuildOptions, build

    work = tmp_path_factory.mktemp("piper-edition")
    options = BuildOptions(content_dir=CONTENT, out_dir=work / "out", cache_dir=work / "cache", jobs=2,
                           formats=frozenset({"m4b"}), engine="piper")
    result = build(options)
    return result, options


@pytest.fixture(scope="session")
def edition(tmp_path_factory):
    """content/ built once, with the default engine, two workers and every format."""
    from audio_guide import BuildOptions, build

    work = tmp_path_factory.mktemp("edition")
    options = BuildOptions(content_dir=CONTENT, out_dir=work / "out", cache_dir=work / "cache", jobs=2,
                           formats=frozenset({"m4b", "epub"}))
    result = build(options)
    return result, options
