"""gPodder's command-line client subscribes over HTTP, downloads, and sees an
edited episode as the same episode."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading

import pytest

from audio_guide import BuildOptions, build
from audio_guide.serve import make_server

from .conftest import CONTENT, require_tool

GUIDE = "journey-through-healing"


@pytest.fixture
def served(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    server = make_server(out, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def gpo(home, *args):
    env = dict(os.environ, GPODDER_HOME=str(home / "gpodder"), GPODDER_DOWNLOAD_DIR=str(home / "downloads"))
    done = subprocess.run([require_tool("gpo"), *args], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def episodes(home):
    with sqlite3.connect(home / "gpodder" / "Database") as db:
        return {guid: (title, description) for guid, title, description in
                db.execute("SELECT guid, title, description_html FROM episode")}


def test_gpodder_subscribes_downloads_and_follows_an_edit(served):
    home, base = served
    content = home / "content"
    shutil.copytree(CONTENT, content)
    options = BuildOptions(content_dir=content, out_dir=home / "out", cache_dir=home / "cache", base_url=base,
                           jobs=2)
    edition = build(options).editions[0]

    assert "Successfully added" in gpo(home, "subscribe", edition.feed_url)
    assert "6 episodes downloaded" in gpo(home, "download")
    downloaded = home / "downloads" / "Journey Through Healing"
    for episode in edition.episodes:
        name = episode.files.audio.rsplit("/", 1)[-1]
        assert (downloaded / name).read_bytes() == (home / "out" / GUIDE / episode.files.audio).read_bytes()
    before = episodes(home)
    assert set(before) == {e.guid for e in edition.episodes}

    guide = content / GUIDE / "guide.md"
    guide.write_text(guide.read_text()
                     .replace("## Steps Towards Healing {#", "## Gentle Steps Towards Healing {#")
                     .replace("Give yourself permission to feel", "Give yourself full permission to feel"))
    build(options)
    assert "0 new episodes" in gpo(home, "update")
    after = episodes(home)
    assert set(after) == set(before)
    steps = edition.episodes[3].guid
    assert after[steps][0] == "Gentle Steps Towards Healing"
    assert "Give yourself full permission to feel" in after[steps][1]
    assert all(after[guid] == before[guid] for guid in before if guid != steps)
