"""An episode keeps its guid and pubDate for the life of the guide."""

from __future__ import annotations

import io
import re
import json
import shutil
from pathlib import Path

import feedparser
import podcastparser
import pytest

from audio_guide import BuildOptions, build
from audio_guide.reading.identity import podcast_guid

from .conftest import CONTENT, ROOT

GUIDE = "journey-through-healing"


def test_podcast_guid_follows_the_spec():
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


FIRST_HOME = "https://audio.rosewood-clinic.org/guides"  # an address of the kind a clinic publishes at


@pytest.fixture
def site(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / GUIDE / "identity.json").unlink(missing_ok=True)  # a guide published for the first time

    def rebuild(base_url=FIRST_HOME, fresh=False):
        if fresh:
            shutil.rmtree(tmp_path / "out", ignore_errors=True)
            shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        result = build(BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                                    base_url=base_url, jobs=2, site_dir=tmp_path))
        edition = result.editions[0]
        parsed = podcastparser.parse(edition.feed_url, io.BytesIO((result.folder(edition) / "feed.xml").read_bytes()))
        identity = {e["title"]: (e["guid"], e["published"]) for e in parsed["episodes"]}
        return edition, identity

    return content / GUIDE / "guide.md", rebuild


def test_identity_survives_edits_renames_moves_and_rebuilds(site):
    guide, rebuild = site
    first, original = rebuild()
    assert len(set(guid for guid, _ in original.values())) == 6
    assert first.podcast_guid == podcast_guid(f"{FIRST_HOME}/journey-through-healing/feed.xml")

    text = guide.read_text()
    guide.write_text(text.replace("Grief, confusion, and a sense", "Grief, confusion, sadness, and a sense")
                     .replace("## Steps Towards Healing {#", "## Small Steps Towards Healing {#"))
    _, edited = rebuild()
    renamed = dict(original)
    renamed["Small Steps Towards Healing"] = renamed.pop("Steps Towards Healing")
    assert edited == renamed

    moved, after_move = rebuild(base_url="https://listen.rosewood.health/guides")
    assert after_move == renamed
    assert moved.podcast_guid == first.podcast_guid  # kept from the first feed URL
    assert moved.feed_url == "https://listen.rosewood.health/guides/journey-through-healing/feed.xml"

    _, from_scratch = rebuild(base_url="https://listen.rosewood.health/guides", fresh=True)
    assert from_scratch == renamed


def test_new_sections_get_new_identities_and_removed_ones_leave(site):
    guide, rebuild = site
    _, original = rebuild()
    text = guide.read_text()
    added = text.replace("## Navigating Future Pregnancies",
                         "## Where to Find Help {#where-to-find-help}\n\nAsk your healthcare provider.\n\n"
                         "## Navigating Future Pregnancies")
    guide.write_text(added.replace("updated:", "updated:"))
    _, with_new = rebuild()
    assert len(with_new) == 7
    assert with_new["Where to Find Help"][0] not in {guid for guid, _ in original.values()}
    assert all(with_new[title] == original[title] for title in original)

    start, end = added.index("## Physical Recovery"), added.index("## Steps Towards")
    guide.write_text(added[:start] + added[end:])
    _, without = rebuild()
    assert "Physical Recovery After Miscarriage" not in without and len(without) == 6
    ledger = json.loads((guide.parent / "identity.json").read_text())
    assert "physical-recovery" in ledger["episodes"]  # kept, should the section come back


def test_each_site_publishes_its_own_podcast(tmp_path):
    """Two clinics building the same content publish two podcasts, each guid
    made from its own first feed address and kept beside its own site.yaml;
    the content carries neither, and a site that moves keeps its own."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)

    def publish(site: str, base_url: str) -> str | None:
        (tmp_path / site).mkdir(exist_ok=True)
        result = build(BuildOptions(content_dir=content, out_dir=tmp_path / site / "out", cache_dir=tmp_path / "cache",
                                    base_url=base_url, jobs=2, site_dir=tmp_path / site))
        feed = feedparser.parse((result.folder(result.editions[0]) / "feed.xml").read_bytes()).feed
        assert feed.get("podcast_guid") == result.editions[0].podcast_guid  # as a real parser reads it
        return result.editions[0].podcast_guid

    north = publish("north", "https://audio.north-valley-clinic.org/guides")
    south = publish("south", "https://www.southside-health.net/audio/")
    assert north == podcast_guid("audio.north-valley-clinic.org/guides/journey-through-healing/feed.xml")
    assert south == podcast_guid("www.southside-health.net/audio/journey-through-healing/feed.xml")
    assert publish("north", "https://listen.north-valley-clinic.org/") == north  # moved: kept

    # Not recorded, nor published, for this computer or the README's placeholder.
    assert publish("trial", "https://clinic.example/audio") is None
    assert publish("trial", "http://127.0.0.1:8000") is None
    assert not (tmp_path / "trial" / "site-identity.json").exists()
    committed = (content / GUIDE / "identity.json").read_text() + (CONTENT / GUIDE / "identity.json").read_text()
    assert north not in committed and south not in committed and "podcast_guid" not in committed


def test_a_guide_without_a_date_is_dated_by_its_first_build(tmp_path, monkeypatch):
    """The README's smallest guide: no date in the front matter. The first
    build records SOURCE_DATE_EPOCH's date beside the guide; a later build,
    with another clock, reuses it and gives the same bytes."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    smallest = re.search(r"The smallest guide .*?```markdown\n(.*?)```", readme, re.S).group(1)
    assert "published" not in smallest
    guide = tmp_path / "content" / "first-steps" / "guide.md"
    guide.parent.mkdir(parents=True)
    guide.write_text(smallest, encoding="utf-8")

    def built(epoch: str) -> dict:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        out = tmp_path / f"out-{epoch}"
        build(BuildOptions(content_dir=tmp_path / "content", out_dir=out, cache_dir=tmp_path / "cache", jobs=2))
        return {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    first = built("1767225600")  # 2026-01-01
    assert json.loads((guide.parent / "identity.json").read_text())["published"] == "2026-01-01"
    feed = podcastparser.parse("feed.xml", io.BytesIO(first[Path("first-steps/feed.xml")]))
    assert {e["published"] for e in feed["episodes"]} == {1767225600, 1767225660}
    assert built("1800000000") == first
