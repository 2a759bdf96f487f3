"""Two clinics publishing the same guide get editions that differ only where
their branding does."""

from __future__ import annotations

import re
import shutil

from audio_guide import BuildOptions, build
from audio_guide.audio.codecs import mp3_frames
from audio_guide.model import Site

from .conftest import CONTENT, run_cli


def test_two_clinics_differ_only_in_their_branding(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    clinics = {"a": Site("Riverside Clinic", "Call 0123 456 789"), "b": Site("Hillview Practice", "Call 0987 654")}
    trees = {}
    for name, site in clinics.items():
        build(BuildOptions(content_dir=content, out_dir=tmp_path / name, cache_dir=tmp_path / "cache", jobs=2,
                           base_url="https://clinic.example/audio", site=site))
        trees[name] = {p.relative_to(tmp_path / name).as_posix(): p.read_bytes()
                       for p in sorted((tmp_path / name).rglob("*")) if p.is_file()}
    a, b = trees["a"], trees["b"]
    assert a.keys() == b.keys()
    differing = {path for path in a if a[path] != b[path]}
    branded = {"journey-through-healing/feed.xml", "journey-through-healing/index.html",
               "journey-through-healing/handout.pdf", "journey-through-healing/SHA256SUMS"}
    assert branded <= differing
    for path in differing - branded:  # the audio: only its tags name the publisher
        assert path.endswith(".mp3"), path
        frames_a, frames_b = mp3_frames(a[path]), mp3_frames(b[path])
        assert [a[path][o:o + n] for o, n in frames_a] == [b[path][o:o + n] for o, n in frames_b]
        assert b"Riverside Clinic" in a[path] and b"Hillview Practice" in b[path]
    for path in ("journey-through-healing/feed.xml", "journey-through-healing/index.html"):
        # File sizes differ too: the tags name the clinic.
        text_a, text_b = (re.sub(r'length="\d+"|\d+(\.\d+)? [KM]B', "", t[path].decode()) for t in (a, b))
        assert "Riverside Clinic" in text_a and "Hillview Practice" in text_b
        assert text_a.replace("Riverside Clinic", "Hillview Practice").replace(
            "Call 0123 456 789", "Call 0987 654") == text_b


def test_site_file_and_command_line(tmp_path):
    (tmp_path / "site.yaml").write_text('base_url: "https://clinic.example/audio"\nclinic_name: "Riverside Clinic"\n'
                                        'email: "old@clinic.example"\n')
    out = tmp_path / "out"
    done = run_cli("build", str(CONTENT), "--out", str(out), "--cache-dir", str(tmp_path / "c"), "--site",
                   str(tmp_path / "site.yaml"), "--contact", "Call 0123", "--email", "podcasts@clinic.example",
                   "--quiet")
    assert done.returncode == 0, done.stderr
    feed = (out / "journey-through-healing" / "feed.xml").read_text()
    assert "https://clinic.example/audio/journey-through-healing/feed.xml" in feed
    assert "Shared by Riverside Clinic. Call 0123" in feed
    assert ("<itunes:owner>\n      <itunes:name>Riverside Clinic</itunes:name>\n"
            "      <itunes:email>podcasts@clinic.example</itunes:email>\n    </itunes:owner>") in feed
    assert "old@clinic.example" not in feed
    assert "podcasts@clinic.example" not in (out / "journey-through-healing" / "index.html").read_text()
    (tmp_path / "site.yaml").write_text("clinic: Oops\n")
    done = run_cli("build", str(CONTENT), "--out", str(out), "--site", str(tmp_path / "site.yaml"))
    assert done.returncode == 1
    assert done.stderr.strip() == (f"error: {tmp_path / 'site.yaml'}:1: unknown key 'clinic': use any of "
                                   "base_url, clinic_name, contact, logo, engine, email, cluster")
