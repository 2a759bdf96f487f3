"""The podcast, judged by gPodder's podcastparser and by feedparser."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
import shutil
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3
from PIL import Image

from audio_guide import BuildOptions, build
from audio_guide.durations import whole_seconds
from audio_guide.model import Site
from audio_guide.publishing.feed import rss

from .conftest import ROOT, ffprobe

BASE = "https://clinic.example/audio"
FIXTURES = ROOT / "tests" / "fixtures" / "special"


def parse_both(edition, folder):
    data = (folder / "feed.xml").read_bytes()
    return podcastparser.parse(edition.feed_url, io.BytesIO(data)), feedparser.parse(data)


def local(edition, folder, url: str) -> Path:
    assert url.startswith(edition.base_url), url
    path = folder / url[len(edition.base_url):]
    assert path.is_file(), url
    return path


def as_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.fixture(scope="module")
def main_feed(edition):
    result, _ = edition
    ed = result.editions[0]
    folder = result.folder(ed)
    pp, fp = parse_both(ed, folder)
    return ed, folder, pp, fp


def test_podcastparser_reads_the_channel(main_feed):
    ed, folder, pp, _ = main_feed
    assert pp["title"] == "Journey Through Healing"
    assert pp["description"].startswith("An audio guide to emotional and physical recovery")
    assert pp["link"] == ed.base_url and pp["language"] == "en"
    assert pp["itunes_categories"][0] == ["Health & Fitness", "Mental Health"]
    assert pp["type"] == "serial" and pp["explicit"] is False and pp["import_prohibited"] is True
    assert pp["itunes_author"] == "audio-guide"
    assert local(ed, folder, pp["cover_url"]).name == "cover.jpg"


def test_podcastparser_reads_every_episode(main_feed):
    ed, folder, pp, _ = main_feed
    episodes = pp["episodes"]
    assert [e["number"] for e in episodes] == [1, 2, 3, 4, 5, 6]
    assert [e["title"] for e in episodes] == [s.title for s in ed.guide.sections]
    for parsed, episode in zip(episodes, ed.episodes):
        assert parsed["guid"] == episode.guid
        assert parsed["published"] == int(episode.published.timestamp())
        assert parsed["type"] == "full"
        [enclosure] = parsed["enclosures"]
        audio = local(ed, folder, enclosure["url"])
        assert enclosure["file_size"] == audio.stat().st_size and enclosure["mime_type"] == "audio/mpeg"
        assert abs(parsed["total_time"] - float(ffprobe(audio)["format"]["duration"])) <= 1
        assert parsed["transcript_url"].endswith(".vtt")
        assert local(ed, folder, parsed["transcript_url"]).read_text().startswith("WEBVTT")
        assert json.loads(local(ed, folder, parsed["chapters_json_url"]).read_text())["version"] == "1.2.0"
        opening = next(line.text for line in episode.lines if line.block >= 0)
        assert as_text(parsed["description_html"]).startswith(opening)
        assert parsed["link"].endswith(f"index.html#{episode.section.id}")


def test_feedparser_reads_the_feed_without_complaint(main_feed):
    ed, folder, _, fp = main_feed
    assert not fp.bozo, fp.get("bozo_exception")
    assert fp.feed.title == "Journey Through Healing" and fp.feed.language == "en"
    assert ed.podcast_guid is None and "podcast_guid" not in fp.feed  # a feed on this computer names no podcast
    assert fp.feed.itunes_type == "serial"
    assert [link.href for link in fp.feed.links if link.rel == "self"] == [ed.feed_url]
    for entry, episode in zip(fp.entries, ed.episodes):
        assert entry.id == episode.guid and entry.guidislink is False
        assert entry.itunes_episode == str(episode.number)
        assert entry.itunes_duration == str(whole_seconds(episode.duration_ms))
        [enclosure] = [link for link in entry.links if link.rel == "enclosure"]
        assert int(enclosure.length) == local(ed, folder, enclosure.href).stat().st_size
        assert entry.podcast_transcript["type"] == "text/vtt"
        assert entry.published_parsed[:6] == episode.published.timetuple()[:6]


def test_the_owner_is_named_only_with_an_address(main_feed):
    ed, _, pp, fp = main_feed
    assert ed.site.email is None and "itunes_owner" not in pp and "publisher_detail" not in fp.feed
    for site, name in ((Site(email="podcasts@clinic.example"), "audio-guide"),  # the guide's author
                       (Site("Northfield & <Sons> Clinic", email="podcasts@clinic.example"),
                        "Northfield & <Sons> Clinic")):
        data = rss(dataclasses.replace(ed, site=site))
        pp, fp = podcastparser.parse(ed.feed_url, io.BytesIO(data)), feedparser.parse(data)
        assert not fp.bozo, fp.get("bozo_exception")
        assert pp["itunes_owner"] == {"name": name, "email": "podcasts@clinic.example"}
        assert fp.feed.publisher_detail == {"name": name, "email": "podcasts@clinic.example"}
        assert pp["itunes_author"] == fp.feed.author == name
        assert b"&amp;" not in data and b"&lt;" not in data  # hexadecimal references, as the RSS Profile has them


def test_every_transcript_type_is_listed_vtt_last(main_feed):
    ed, folder, _, _ = main_feed
    feed_xml = (folder / "feed.xml").read_text()
    first_item = feed_xml[feed_xml.index("<item>"):feed_xml.index("</item>")]
    types = re.findall(r'<podcast:transcript url="([^"]+)" type="([^"]+)"', first_item)
    assert [t for _, t in types] == ["text/html", "text/plain", "application/x-subrip", "text/vtt"]
    for url, _ in types:
        local(ed, folder, url)


def test_json_psc_and_id3_chapters_agree_to_the_millisecond(main_feed):
    ed, folder, _, fp = main_feed
    for entry, episode in zip(fp.entries, ed.episodes):
        audio = folder / episode.files.audio
        id3 = ID3(audio)
        toc = id3.getall("CTOC")[0]
        chaps = {c.element_id: c for c in id3.getall("CHAP")}
        id3_marks = [(chaps[i].sub_frames["TIT2"].text[0], chaps[i].start_time) for i in toc.child_element_ids]
        data = json.loads((folder / episode.files.chapters).read_text())
        json_marks = [(c["title"], round(c["startTime"] * 1000)) for c in data["chapters"]]
        psc_marks = [(c["title"], round(c["start_parsed"].total_seconds() * 1000))
                     for c in entry.psc_chapters["chapters"]]
        probe = [(c["tags"]["title"], round(float(c["start_time"]) * 1000)) for c in ffprobe(audio)["chapters"]]
        assert id3_marks == json_marks == psc_marks == probe
        assert [c["endTime"] for c in data["chapters"]][-1] == episode.duration_ms / 1000


def test_transcripts_are_the_written_words_in_caption_shape(main_feed):
    ed, folder, _, _ = main_feed
    for episode in ed.episodes:
        vtt = (folder / episode.files.vtt).read_text()
        cues = vtt.split("\n\n")[1:]
        for cue in filter(None, cues):
            number, timing, *text = cue.splitlines()
            assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", timing)
            assert 1 <= len(text) <= 2 and all(len(line) <= 65 for line in text)
        srt = (folder / episode.files.srt).read_text()
        assert all(len(block.splitlines()) <= 4 for block in srt.strip().split("\n\n"))
        plain = (folder / episode.files.txt).read_text()
        page = (folder / episode.files.html).read_text()
        flat_vtt = " ".join(line for line in vtt.splitlines() if line and "-->" not in line and
                            not line.isdigit())
        for line in episode.lines:
            assert line.text in plain
            assert html.escape(line.text) in page
            assert line.text in flat_vtt
        assert '<html lang="en" dir="ltr">' in page and "<h1>" in page


def test_cover_art_is_the_same_everywhere(main_feed):
    ed, folder, pp, _ = main_feed
    cover = local(ed, folder, pp["cover_url"]).read_bytes()
    image = Image.open(io.BytesIO(cover))
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == (3000, 3000)
    assert len(cover) < 512 * 1024
    for episode in ed.episodes:
        [picture] = ID3(folder / episode.files.audio).getall("APIC")
        assert picture.data == cover and picture.mime == "image/jpeg" and picture.type == 3
    assert ID3(folder / ed.full.audio).getall("APIC")[0].data == cover


@pytest.fixture(scope="module")
def special(tmp_path_factory):
    work = tmp_path_factory.mktemp("special")
    content = work / "content"
    shutil.copytree(FIXTURES, content)
    result = build(BuildOptions(content_dir=content, out_dir=work / "out", cache_dir=work / "cache", jobs=2,
                                base_url=BASE))
    return result, content


def test_special_characters_read_back_exactly(special):
    result, _ = special
    ed = next(e for e in result.editions if e.guide.slug == "rest-and-recovery")
    folder = result.folder(ed)
    pp, fp = parse_both(ed, folder)
    title = "Rest & Recovery <Care> \"Quotes\" 'single' 🌱 שלום"
    description = "Notes & tips <for> \"after\" 'care' 🌷 עברית"
    section = "Body & Mind <Together> \"Now\" 🌿 and שלום"
    assert not fp.bozo
    assert pp["title"] == title and fp.feed.title == title
    assert as_text(pp["description"]) == description and as_text(fp.feed.subtitle) == description
    assert [e["title"] for e in pp["episodes"]] == ["Introduction", section]
    assert [e.title for e in fp.entries] == ["Introduction", section]
    opening = "A short opening & a <bracket> in \"quotes\"."
    assert as_text(pp["episodes"][0]["description_html"]).startswith(opening)
    assert as_text(fp.entries[0].summary).startswith(opening)
    assert fp.feed.podcast_license == "CC BY 4.0"
    # Its front matter names a cover of its own (a small PNG): made into the cover everywhere.
    cover = (folder / "cover.jpg").read_bytes()
    assert Image.open(io.BytesIO(cover)).size == (3000, 3000)
    assert ID3(folder / ed.episodes[0].files.audio).getall("APIC")[0].data == cover
    assert Image.open(io.BytesIO(cover)).getpixel((1500, 1500)) != Image.open(io.BytesIO(cover)).getpixel((20, 20))


def test_opml_lists_every_guide(special):
    result, _ = special
    outline = (result.out_dir / "feeds.opml").read_text()
    feeds = re.findall(r'xmlUrl="([^"]+)"', outline)
    assert feeds == [f"{BASE}/rest-and-recovery/feed.xml", f"{BASE}/second-guide/feed.xml"]
    parsed = podcastparser.parse(feeds[1], io.BytesIO((result.out_dir / "second-guide" / "feed.xml").read_bytes()))
    assert parsed["title"] == "A Second Guide"
