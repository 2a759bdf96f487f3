"""A guide with a translation beside it (guide.es.md) becomes two editions,
each in its own language: feed, tags, voice, announcements, page and
transcripts. Judged with real parsers (feedparser, podcastparser, mutagen,
html.parser). The fixture is written for these tests, two short sections in
each language."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3

from audio_guide import BuildOptions, build
from audio_guide.reading.guides import read_guides
from audio_guide.errors import ContentError
from audio_guide.speaking.script import announcement

FIXTURE = Path(__file__).parent / "fixtures" / "languages"


class _Langs(HTMLParser):
    """The lang attribute of every element that has one, by tag."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        lang = dict(attrs).get("lang")
        if lang is not None:
            self.found.append((tag, lang))


def langs(path: Path) -> list[tuple[str, str]]:
    parser = _Langs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("languages")
    content = work / "content"
    shutil.copytree(FIXTURE, content)  # the build writes identity files beside the guides
    options = BuildOptions(content_dir=content, out_dir=work / "out", cache_dir=work / "cache", jobs=2,
                           base_url="https://audio.riverside-health.org", site_dir=work)
    return build(options), content, work / "out"


def test_a_translation_is_read_as_its_own_guide():
    english, spanish = read_guides(FIXTURE)
    assert (english.slug, english.language) == ("small-steps", "en")
    assert (spanish.slug, spanish.language) == ("small-steps-es", "es")
    assert announcement(spanish, 2) == "Pasos pequeños. Sección 2 de 2: Un paseo corto."
    assert announcement(english, 2) == "Small Steps. Section 2 of 2: A Short Walk."
    sentences = [s.text for c in spanish.sections[1].chapters for b in c.blocks for s in b.sentences]
    assert "¿Hace frío?" in sentences  # a Spanish question is a sentence of its own


def test_the_file_name_gives_the_language(tmp_path):
    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "guide.md").write_text("---\ntitle: G\npublished: 2026-11-30\n---\n\n## S\n\nText.\n")
    (folder / "guide.es.md").write_text("---\ntitle: G\npublished: 2026-11-30\n---\n\n## S\n\nTexto.\n")
    assert [g.language for g in read_guides(folder)] == ["en", "es"]
    (folder / "guide.es.md").write_text("---\ntitle: G\npublished: 2026-11-30\nlanguage: es-MX\n---\n\n## S\n\nTexto.\n")
    assert read_guides(folder)[1].language == "es-MX"  # a variant of the file's language agrees with it
    (folder / "guide.es.md").write_text("---\ntitle: G\nlanguage: fr\n---\n\n## S\n\nTexte.\n")
    with pytest.raises(ContentError) as caught:
        read_guides(tmp_path)
    assert str(caught.value).startswith(f"{folder / 'guide.es.md'}:3: 'language: fr' disagrees with the file "
                                        "name guide.es.md, which says 'es'")


def test_each_language_is_its_own_edition(built):
    result, content, out = built
    english, spanish = result.editions
    assert (result.folder(english), result.folder(spanish)) == (out / "small-steps", out / "small-steps-es")
    assert english.voice == "en" and spanish.voice == "es"  # the engine's default voice for each language
    # Its own identity file, so its episodes have guids of their own.
    assert (content / "small-steps" / "identity.json").is_file()
    assert (content / "small-steps" / "identity.es.json").is_file()
    assert not {e.guid for e in english.episodes} & {e.guid for e in spanish.episodes}
    assert english.podcast_guid != spanish.podcast_guid


def test_feed_says_its_language(built):
    _, _, out = built
    for slug, language in (("small-steps", "en"), ("small-steps-es", "es")):
        raw = (out / slug / "feed.xml").read_bytes()
        parsed = feedparser.parse(raw)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.feed.language == language
        with open(out / slug / "feed.xml", "rb") as stream:
            podcast = podcastparser.parse(f"https://audio.riverside-health.org/{slug}/feed.xml", stream)
        assert len(podcast["episodes"]) == 2
    spanish = feedparser.parse((out / "small-steps-es" / "feed.xml").read_bytes())
    assert [e.title for e in spanish.entries][:2] in (["Descansar sin culpa", "Un paseo corto"],
                                                      ["Un paseo corto", "Descansar sin culpa"])


def test_tags_say_spanish(built):
    _, _, out = built
    for name in ("01-descanso.mp3", "02-paseo.mp3", "small-steps-es-complete.mp3"):
        tags = ID3(out / "small-steps-es" / "audio" / name)
        assert tags["TLAN"].text == ["spa"]
    assert ID3(out / "small-steps" / "audio" / "01-rest.mp3")["TLAN"].text == ["eng"]
    assert ID3(out / "small-steps-es" / "audio" / "small-steps-es-complete.mp3")["TIT2"].text == [
        "Pasos pequeños: guía completa"]


def test_transcripts_carry_the_spanish_announcement(built):
    _, _, out = built
    transcripts = out / "small-steps-es" / "transcripts"
    vtt = (transcripts / "02-paseo.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\nLanguage: es\n")
    assert "Pasos pequeños. Sección 2 de 2: Un paseo corto." in " ".join(vtt.split())
    text = (transcripts / "01-descanso.txt").read_text(encoding="utf-8")
    assert text.startswith("Pasos pequeños: Una guía breve para descansar. Sección 1 de 2: Descansar sin culpa.\n")
    assert "Section" not in vtt + text


def test_page_and_html_transcript_are_in_spanish(built):
    _, _, out = built
    edition = out / "small-steps-es"
    assert langs(edition / "index.html")[0] == ("html", "es")
    assert langs(edition / "transcripts" / "01-descanso.html")[0] == ("html", "es")
    page = (edition / "index.html").read_text(encoding="utf-8")
    for words in ("Leer mientras escucha", "Sección 1 de 2", "Escuchar en una aplicación de pódcast",
                  "2 secciones", "30 de noviembre de 2026", 'label="Subtítulos"'):
        assert words in page
    for words in ("Read along", "Listen in a podcast app", "Download the audio of"):
        assert words not in page
    transcript = (edition / "transcripts" / "01-descanso.html").read_text(encoding="utf-8")
    assert "<title>Transcripción: Descansar sin culpa (Pasos pequeños)</title>" in transcript
    assert "sección 1 de 2" in transcript and "Descargar el audio (MP3)" in transcript
    english = (out / "small-steps" / "index.html").read_text(encoding="utf-8")
    assert langs(out / "small-steps" / "index.html")[0] == ("html", "en")
    assert "Read along" in english and "30 November 2026" in english


def test_catalog_and_opml_list_both_editions(built):
    _, _, out = built
    catalog = langs(out / "index.html")
    assert catalog[0] == ("html", "en") and ("li", "es") in catalog  # the Spanish entry says its own language
    text = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="small-steps/"' in text and 'href="small-steps-es/"' in text
    outlines = ET.parse(out / "feeds.opml").getroot().iter("outline")
    feeds = {o.get("xmlUrl"): o.get("language") for o in outlines if o.get("xmlUrl")}
    assert feeds == {"https://audio.riverside-health.org/small-steps/feed.xml": "en",
                     "https://audio.riverside-health.org/small-steps-es/feed.xml": "es"}


def test_check_passes_both_editions(built):
    from audio_guide.checking.edition import check_edition

    _, content, out = built
    assert check_edition(out, content) == []


def test_a_translation_has_a_lexicon_of_its_own(tmp_path):
    from audio_guide.reading import lexicon

    folder = tmp_path / "g"
    folder.mkdir()
    (folder / "lexicon.txt").write_text("Kegel = KAY gull\n")
    (folder / "lexicon.es.txt").write_text("DIU = de i u\n")
    english = lexicon.load(folder, tmp_path)
    spanish = lexicon.load(folder, tmp_path, "es", "es")
    assert english.apply("Take 5 mg. Kegel.")[0] == "Take 5 milligrams. KAY gull."
    # The starter lexicon is English: a Spanish voice must not say "milligrams".
    assert spanish.apply("Tome 5 mg. Kegel. DIU.")[0] == "Tome 5 mg. Kegel. de i u."


@pytest.fixture(scope="module")
def spanish_pages(built):
    from .test_page import browsing  # the listening page tests' browser set-up

    with browsing(built[2]) as opened:
        yield opened


def test_the_spanish_page_plays_in_spanish_and_passes_axe(spanish_pages):
    from .test_page import PHONE, axe

    page = spanish_pages.open("small-steps-es/", viewport=PHONE)
    rest = page.locator("section#descanso")
    play = rest.get_by_role("button", name="Reproducir Descansar sin culpa")
    play.click()
    page.wait_for_function("() => { const a = document.querySelector('section#descanso audio');"
                           " return !a.paused && a.currentTime > 0.2; }", timeout=15000)
    # The script's own words are Spanish too.
    assert rest.locator("button.play").inner_text().strip().startswith("Pausa")
    assert axe(page) == []


def test_the_handout_is_in_spanish(built):
    import subprocess

    from .conftest import require_tool

    _, _, out = built
    text = subprocess.run([require_tool("pdftotext"), str(out / "small-steps-es" / "handout.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    words = " ".join(text.split())
    for line in ("Escuche en su teléfono: escanee el código", "Lo que va a escuchar", "Total, las 2 secciones",
                 "Descansar sin culpa", "Licencia: CC0"):
        assert line in words
    assert "scan the code" not in words


def test_the_qr_code_is_titled_in_spanish(built):
    _, _, out = built
    root = ET.fromstring((out / "small-steps-es" / "qr.svg").read_bytes())
    title = root.find("{http://www.w3.org/2000/svg}title").text
    assert title == "Código QR: https://audio.riverside-health.org/small-steps-es/"
    english = ET.fromstring((out / "small-steps" / "qr.svg").read_bytes())
    assert english.find("{http://www.w3.org/2000/svg}title").text.startswith("QR code: ")


class _Shown(HTMLParser):
    """What a reader meets in a page: its text and the attributes that are
    read out or shown, never the script's or style sheet's code."""

    SHOWN = ("alt", "title", "aria-label", "aria-description", "placeholder", "value")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._code = 0

    def handle_starttag(self, tag, attrs):
        self._code += tag in ("script", "style")
        attributes = dict(attrs)
        self.parts += [value for name, value in attrs if name in self.SHOWN and value]
        if tag == "meta" and attributes.get("name", attributes.get("property", "")).endswith(("description", "title")):
            self.parts.append(attributes.get("content") or "")

    def handle_endtag(self, tag):
        self._code -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._code:
            self.parts.append(data)


def _shown(text: str, suffix: str) -> str:
    if suffix in (".html", ".svg"):
        parser = _Shown()
        parser.feed(text)
        return " ".join(parser.parts)
    if suffix in (".xml", ".opml"):
        root = ET.fromstring(text)
        shown = []
        for element in root.iter():
            # What apps show; not codes such as podcast:medium or Apple's categories, English in every feed.
            if element.tag.rpartition("}")[2] in ("title", "description", "summary", "subtitle", "copyright"):
                shown.append(element.text or "")
            shown += [v for k, v in element.attrib.items() if k in ("title", "text")]
        # A description is HTML inside the XML: what an app shows is its text.
        parser = _Shown()
        parser.feed(" ".join(shown))
        return " ".join(parser.parts)
    return text


def test_the_spanish_edition_holds_none_of_the_english_words_the_tool_adds(built):
    """Every word audio-guide adds to the Spanish edition comes from the
    Spanish table: no fragment of an English phrase the table translates is
    left in its feed, pages, transcripts, QR code or (alone) its OPML list."""
    from audio_guide import phrases
    from audio_guide.publishing import feed, page

    result, _, out = built
    spanish = result.editions[1]
    # Words Spanish writes the same: names, formats, and a few shared words.
    same = {"apple", "books", "audio", "opml", "pdf", "rss", "srt", "total", "url", "web", "webvtt", "normal"}
    fragments = {w for value in phrases.STRINGS["en"].values()
                 for w in re.findall(r"[^\W\d_]+", re.sub(r"\{[^}]*\}", " ", value))
                 if len(w) > 2 and w.lower() not in same}
    assert {"Sections", "Speed", "Download", "transcript"} <= fragments  # the check has teeth
    files = [p for p in (out / spanish.guide.slug).rglob("*")
             if p.suffix in (".xml", ".html", ".vtt", ".srt", ".txt", ".svg")]
    assert len(files) > 8
    texts = {p.relative_to(out): _shown(p.read_text(encoding="utf-8"), p.suffix) for p in files}
    texts["feeds.opml (Spanish alone)"] = _shown(feed.opml([spanish]), ".opml")
    texts["index.html (Spanish alone)"] = _shown(page.render_catalog([spanish, spanish]), ".html")
    for name, text in texts.items():
        text = re.sub(r"\S+://\S+", " ", text)  # addresses are not words: /feed.xml is a file's name
        found = sorted({w for w in fragments if re.search(rf"\b{re.escape(w)}\b", text)})
        assert not found, f"{name}: {found}"
