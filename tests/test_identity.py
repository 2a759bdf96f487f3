"""An episode keeps its guid and pubDate for the life of the guide."""

from __future__ import annotations

import io
import json
import shutil

import podcastparser
import pytest

from audio_guide import BuildOptions, build
from audio_guide.reading.identity import podcast_guid

from .conftest import CONTENT

GUIDE = "journey-through-healing"


def test_podcast_guid_follows_the_spec():
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


@pytest.fixture
def site(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / GUIDE / "identity.json").unlink(missing_ok=True)  # a guide published for the first time

    def rebuild(base_url="https://clinic.example/audio", fresh=False):
        if fresh:
            shutil.rmtree(tmp_path / "out", ignore_errors=True)
            shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        result = build(BuildOptions(content_dir=content, out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
                                    base_url=base_url, jobs=2))
        edition = result.editions[0]
        parsed = podcastparser.parse(edition.feed_url, io.BytesIO((result.folder(edition) / "feed.xml").read_bytes()))
        identity = {e["title"]: (e["guid"], e["published"]) for e in parsed["episodes"]}
        return edition, identity

    return content / GUIDE / "guide.md", rebuild


def test_identity_survives_edits_renames_moves_and_rebuilds(site):
    guide, rebuild = site
    first, original = rebuild()
    assert len(set(guid for guid, _ in original.values())) == 6
    assert first.podcast_guid == podcast_guid("https://clinic.example/audio/journey-through-healing/feed.xml")

    text = guide.read_text()
    guide.write_text(text.replace("Grief, confusion, and a sense", "Grief, confusion, sadness, and a sense")
                     .replace("## Steps Towards Healing {#", "## Small Steps Towards Healing {#"))
    _, edited = rebuild()
    renamed = dict(original)
    renamed["Small Steps Towards Healing"] = renamed.pop("Steps Towards Healing")
    assert edited == renamed

    moved, after_move = rebuild(base_url="https://new-host.example/guides")
    assert after_move == renamed
    assert moved.podcast_guid == first.podcast_guid  # kept from the first feed URL
    assert moved.feed_url == "https://new-host.example/guides/journey-through-healing/feed.xml"

    _, from_scratch = rebuild(base_url="https://new-host.example/guides", fresh=True)
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
