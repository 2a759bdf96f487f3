"""The printed handout, judged by the tools a clinic's printer and a phone
stand in for: poppler renders and reads the PDF (pdftoppm, pdftotext,
pdfinfo, pdfimages), zbar scans the QR codes, librsvg draws the SVG."""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import os
import pickle
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno
from PIL import Image

from audio_guide import BuildOptions, build
from audio_guide.durations import clock
from audio_guide.publishing import handout
from audio_guide.publishing.handout import render_handout
from audio_guide.publishing.qr import page_url, qr_png, qr_svg
from audio_guide.publishing.typesetting import printable, wrap_address
from audio_guide.model import Guide, Site

from .conftest import CONTENT, ROOT

BASE = "https://clinic.example/audio"
FIXTURES = ROOT / "tests" / "fixtures" / "special"
SITE = Site(clinic_name="Riverside Clinic", contact="Call 0123 456 789, weekdays 9 to 5")
MM = 25.4 / 72  # mm per PDF point
DPI = 150
# The area A4 and US Letter have in common, less a 15 mm margin on every side.
AREA = (15.0, 15.0, 210.0 - 15.0, 279.4 - 15.0)
EPS = 0.01  # mm: rounding in the PDF's numbers and in pdftotext's
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def tool(name: str) -> str:
    """A poppler, zbar or librsvg tool. Missing, the test is skipped with how
    to install it, or fails when CI is set (as conftest.require_tool does)."""
    path = shutil.which(name)
    if path:
        return path
    message = (f"{name} is not installed: apt-get install poppler-utils zbar-tools librsvg2-bin "
               "(Debian/Ubuntu), or run 'bash tests/install-tools.sh'")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run(*args, **kwargs) -> str:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True,
                          env={**os.environ, "TZ": "UTC"}, **kwargs).stdout


def scan(image: Path) -> list[str]:
    """Every QR code zbar finds in the image, as text."""
    out = subprocess.run([tool("zbarimg"), "-q", "--raw", str(image)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def raster(pdf: Path, dpi: int = DPI) -> Path:
    stem = pdf.with_name(pdf.stem + f"-{dpi}")
    run(tool("pdftoppm"), "-r", dpi, "-png", pdf, stem)
    [page] = sorted(pdf.parent.glob(stem.name + "*.png"))
    return page


def text_of(pdf: Path) -> str:
    return BIDI_MARKS.sub("", run(tool("pdftotext"), "-enc", "UTF-8", pdf, "-"))


def squashed(text: str) -> str:
    """The text with all white space removed: addresses wrap over lines."""
    return re.sub(r"\s+", "", text)


def one_spaced(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdfinfo(pdf: Path) -> dict[str, str]:
    out = run(tool("pdfinfo"), "-isodates", "-enc", "UTF-8", pdf)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """Every word pdftotext finds, with its box in mm from the top left."""
    out = run(tool("pdftotext"), "-bbox", "-enc", "UTF-8", pdf, "-")
    number = r'="([\d.]+)"'
    found = re.findall(rf"<word xMin{number} yMin{number} xMax{number} yMax{number}>([^<]*)</word>", out)
    return [(w, float(a) * MM, float(b) * MM, float(c) * MM, float(d) * MM) for a, b, c, d, w in found]


def inside(word) -> bool:
    _, left, top, right, bottom = word
    x0, y0, x1, y1 = AREA
    return x0 - EPS <= left and right <= x1 + EPS and y0 - EPS <= top and bottom <= y1 + EPS


def ec_level(png: bytes) -> str:
    """The error correction level written in a QR code image's format
    information (ISO/IEC 18004, 7.9), read from the pixels."""
    image = Image.open(io.BytesIO(png)).convert("L")
    dark = image.point(lambda v: 255 if v < 128 else 0)
    left, top, right, _ = dark.getbbox()
    finder = 0
    while image.getpixel((left + finder, top)) < 128:
        finder += 1
    module = finder / 7

    def bit(x: int, y: int) -> int:
        return int(image.getpixel((int(left + (x + 0.5) * module), int(top + (y + 0.5) * module))) < 128)

    cells = [(x, 8) for x in range(6)] + [(7, 8), (8, 8), (8, 7)] + [(8, y) for y in range(5, -1, -1)]
    value = 0
    for x, y in cells:
        value = value << 1 | bit(x, y)
    return {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[(value ^ 0b101010000010010) >> 13]


# --- Editions --------------------------------------------------------------------


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """content/ built with a public base URL, branded for a clinic (this
    module's own edition: an Edition, not conftest's (result, options))."""
    work = tmp_path_factory.mktemp("handout")
    shutil.copytree(CONTENT, work / "content")
    result = build(BuildOptions(content_dir=work / "content", out_dir=work / "out", cache_dir=work / "cache",
                                jobs=2, base_url=BASE))
    return dataclasses.replace(result.editions[0], site=SITE)


@pytest.fixture(scope="module")
def printed(edition, tmp_path_factory):
    path = tmp_path_factory.mktemp("printed") / "handout.pdf"
    path.write_bytes(render_handout(edition))
    return path


@pytest.fixture(scope="module")
def special(tmp_path_factory):
    """A guide whose title has &, <, quotes, an emoji and Hebrew."""
    work = tmp_path_factory.mktemp("special-handout")
    shutil.copytree(FIXTURES, work / "content")
    result = build(BuildOptions(content_dir=work / "content", out_dir=work / "out", cache_dir=work / "cache",
                                jobs=2, base_url=BASE))
    return next(e for e in result.editions if e.guide.slug == "rest-and-recovery")


def long_edition(edition, copies: int = 5):
    """The guide with a long title, long section titles, many sections and a
    long address: what a less tidy guide may look like."""
    guide = dataclasses.replace(edition.guide, title="Journey Through Healing: Recovery, Loss and Grief, "
                                "Together With the People Who Care for You")
    episodes = []
    for n in range(copies * len(edition.episodes)):
        source = edition.episodes[n % len(edition.episodes)]
        section = dataclasses.replace(source.section, title=f"{source.section.title}, part {n + 1} of the "
                                      "longer edition, with a title that needs two lines")
        episodes.append(dataclasses.replace(source, number=n + 1, section=section))
    base = "https://health-services.riverside-community-clinic.example/patient-information/audio-guides/"
    return dataclasses.replace(edition, guide=guide, episodes=tuple(episodes),
                               base_url=base + "journey-through-healing-after-miscarriage/")


# --- The QR codes ------------------------------------------------------------------


def test_the_printed_code_opens_the_listening_page(edition, printed):
    assert page_url(edition) == "https://clinic.example/audio/journey-through-healing/"
    assert scan(raster(printed)) == [page_url(edition)]


def test_the_printed_code_is_at_least_45_mm(printed):
    image = Image.open(raster(printed)).convert("RGB")
    # Only the code is pure black: text is #1B1B1F or plum, the band lighter.
    black = image.point(lambda v: 255 if v < 8 else 0).convert("L").point(lambda v: 255 if v == 255 else 0)
    left, top, right, bottom = black.getbbox()
    width, height = (right - left) / DPI * 25.4, (bottom - top) / DPI * 25.4
    assert 45 <= width <= 60 and abs(width - height) < 1, (width, height)


def test_qr_png_scans_and_prints_crisply(edition, tmp_path):
    url = page_url(edition)
    png = qr_png(url)
    (tmp_path / "qr.png").write_bytes(png)
    assert scan(tmp_path / "qr.png") == [url]
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == image.height >= 600
    assert ec_level(png) in ("M", "Q", "H")
    # The quiet zone: 4 modules of white on every side.
    modules = segno.make(url, error="m").symbol_size(scale=1, border=4)[0]
    quiet = image.width // modules * 4
    grey = image.convert("L")
    for box in ((0, 0, image.width, quiet), (0, image.height - quiet, image.width, image.height),
                (0, 0, quiet, image.height), (image.width - quiet, 0, image.width, image.height)):
        assert grey.crop(box).getextrema() == (255, 255)
    assert grey.crop((quiet, quiet, quiet + 2, quiet + 2)).getextrema() == (0, 0)  # the finder's corner
    assert qr_png(url) == png


def test_qr_svg_is_titled_xml_that_scans(edition, tmp_path):
    url = page_url(edition)
    svg = qr_svg(url, "en")
    root = ET.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("viewBox")
    assert root.find(f"{ns}title").text == f"QR code: {url}"
    assert root.find(f"{ns}desc").text == f"Scan with a phone camera to open {url}"
    (tmp_path / "qr.svg").write_text(svg, encoding="utf-8")
    run(tool("rsvg-convert"), "-w", "600", "-o", tmp_path / "svg.png", tmp_path / "qr.svg")
    assert scan(tmp_path / "svg.png") == [url]
    assert qr_svg(url, "en") == svg
    ET.fromstring(qr_svg("https://clinic.example/a&b/<c>/", "en").encode("utf-8"))  # escaped


def test_the_svg_code_is_titled_in_the_guides_language():
    url = "https://clinic.example/audio/pasos/"
    root = ET.fromstring(qr_svg(url, "es-MX").encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == f"Código QR: {url}"
    assert "cámara" in root.find(f"{ns}desc").text
    assert "QR code" not in qr_svg(url, "es")
    assert qr_svg(url, "xx") == qr_svg(url, "en")  # a language without words of its own reads English


# --- The page ----------------------------------------------------------------------


def test_the_text_layer_has_everything_a_reader_needs(edition, printed):
    text = text_of(printed)
    flat, joined = one_spaced(text), squashed(text)
    guide = edition.guide
    for expected in (guide.title, guide.subtitle, guide.description, SITE.clinic_name, SITE.contact,
                     "Listen on your phone: scan the code", f"Licence: {guide.license}"):
        assert expected in flat, expected
    assert page_url(edition) in joined and edition.feed_url in joined
    for episode in edition.episodes:
        assert episode.section.title in flat
        assert clock(episode.duration_ms) in flat.split()
    assert f"Total, all 6 sections {clock(edition.full.duration_ms)}" in flat


def test_one_page_a4_or_letter_with_title_language_and_dates(edition, printed):
    info = pdfinfo(printed)
    assert info["Pages"] == "1"
    assert re.search(r"\((A4|letter)\)", info["Page size"]), info["Page size"]
    assert info["Title"] == edition.guide.title
    assert info["CreationDate"].startswith("2026-11-26T00:00:00")  # the guide's publication date
    assert re.search(rb"/Lang \(en\)", printed.read_bytes())
    assert info["Encrypted"] == "no"


def test_nothing_is_drawn_outside_the_area_common_to_a4_and_letter(printed):
    found = words(printed)
    assert len(found) > 50
    for word in found:
        assert inside(word), word
    # Nor any ink: every pixel outside the area is white.
    page = Image.open(raster(printed)).convert("L")
    x0, y0, x1, y1 = (v / 25.4 * DPI for v in AREA)  # pixels; the edge pixels may be partly inside
    px = [math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1)]
    for box in ((0, 0, page.width, px[1]), (0, px[3], page.width, page.height),
                (0, 0, px[0], page.height), (px[2], 0, page.width, page.height)):
        assert page.crop(box).getextrema() == (255, 255), box


def test_all_text_is_real_text_in_embedded_fonts(printed):
    out = run(tool("pdffonts"), printed)
    fonts = out.splitlines()[2:]
    assert fonts and all(" yes yes yes " in f for f in fonts), out  # embedded, subset, with a Unicode map
    assert run(tool("pdfimages"), "-list", printed).count("\n") == 2  # no images: no logo, no text as pictures


def test_two_renders_are_byte_identical_even_in_another_process(edition, printed, tmp_path):
    assert render_handout(edition) == printed.read_bytes()
    (tmp_path / "edition.pickle").write_bytes(pickle.dumps(edition))
    script = ("import pickle, sys; from audio_guide.publishing.handout import render_handout; "
              "sys.stdout.buffer.write(render_handout(pickle.load(open(sys.argv[1], 'rb'))))")
    other = subprocess.run([sys.executable, "-c", script, str(tmp_path / "edition.pickle")], capture_output=True,
                           check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert other == printed.read_bytes()


def test_special_characters_print_or_fall_back_clearly(special, tmp_path, caplog):
    site = Site(clinic_name="Ça & Co <Clinic> \u201cCare\u201d", contact="טלפון 03-555-1234 \U0001F4DE")
    edition = dataclasses.replace(special, site=site)
    with caplog.at_level(logging.WARNING):
        pdf = render_handout(edition)
    assert not [r for r in caplog.records if "missing" in r.getMessage()], caplog.text
    (tmp_path / "special.pdf").write_bytes(pdf)
    text = one_spaced(text_of(tmp_path / "special.pdf"))
    # Everything but the emoji, which no bundled font draws: they are left out.
    assert "Rest & Recovery <Care> \"Quotes\" 'single' שלום" in text
    assert "Notes & tips <for> \"after\" 'care' עברית" in text
    assert "Body & Mind <Together> \"Now\" and שלום" in text
    assert "Ça & Co <Clinic> \u201cCare\u201d" in text and "03-555-1234" in text
    assert not re.search("[\U0001F300-\U0001FAFF]", text)
    assert pdfinfo(tmp_path / "special.pdf")["Title"] == special.guide.title  # the metadata keeps it exactly
    assert scan(raster(tmp_path / "special.pdf")) == [page_url(special)]


def test_printable_keeps_what_the_font_draws():
    assert printable("Rest & Recovery 🌱 שלום") == "Rest & Recovery שלום"
    assert printable("👩🏽‍⚕️ Care ❤️") == "Care"
    assert printable("Ünïcödé “quotes” — Ελληνικά, Кириллица, العربية") == \
        "Ünïcödé “quotes” — Ελληνικά, Кириллица, العربية"
    assert printable("中文 guide") == "?? guide"


def test_the_clinic_logo_is_shown_when_it_is_a_png_or_jpeg(edition, tmp_path):
    Image.new("RGB", (300, 100), (40, 90, 120)).save(tmp_path / "logo.png")
    Image.new("RGB", (200, 200), (120, 90, 40)).save(tmp_path / "logo.jpg", quality=90)
    (tmp_path / "logo.txt").write_text("not an image")
    Image.new("RGB", (50, 50)).save(tmp_path / "logo.gif")
    for logo, images in (("logo.png", 1), ("logo.jpg", 1), ("logo.txt", 0), ("logo.gif", 0), ("missing.png", 0)):
        branded = dataclasses.replace(edition, site=dataclasses.replace(SITE, logo=str(tmp_path / logo)))
        pdf = tmp_path / f"{logo}.pdf"
        pdf.write_bytes(render_handout(branded))
        listed = run(tool("pdfimages"), "-list", pdf).splitlines()[2:]
        assert len(listed) == images, (logo, listed)
        assert SITE.clinic_name in text_of(pdf)
        assert pdfinfo(pdf)["Pages"] == "1"
    for word, left, top, right, bottom in words(tmp_path / "logo.png.pdf"):
        assert inside((word, left, top, right, bottom)), word


def test_without_a_clinic_the_page_still_reads_well(edition, tmp_path):
    plain = dataclasses.replace(edition, site=Site())
    (tmp_path / "plain.pdf").write_bytes(render_handout(plain))
    text = one_spaced(text_of(tmp_path / "plain.pdf"))
    assert "Riverside" not in text and edition.guide.title in text
    assert scan(raster(tmp_path / "plain.pdf")) == [page_url(edition)]


def test_a_long_guide_still_fits_on_one_page(edition, tmp_path):
    big = long_edition(edition)
    (tmp_path / "long.pdf").write_bytes(render_handout(big))
    assert pdfinfo(tmp_path / "long.pdf")["Pages"] == "1"
    for word, left, top, right, bottom in words(tmp_path / "long.pdf"):
        assert inside((word, left, top, right, bottom)), word
    text = text_of(tmp_path / "long.pdf")
    assert page_url(big) in squashed(text) and big.feed_url in squashed(text)
    shown = re.search(r"and (\d+) more sections: the listening page lists them all", one_spaced(text))
    assert shown and 30 - int(shown[1]) >= 2, shown  # the first sections, and how many more there are
    assert "Total, all 30 sections" in one_spaced(text)
    assert scan(raster(tmp_path / "long.pdf")) == [page_url(big)]


def test_lengths_read_as_clock_times():
    assert [clock(ms) for ms in (0, 499, 500, 29128, 59500, 89778, 600000, 3599499, 3600000, 3725000)] == \
        ["0:00", "0:00", "0:01", "0:29", "1:00", "1:30", "10:00", "59:59", "1:00:00", "1:02:05"]


def test_addresses_wrap_after_a_slash():
    url = "https://clinic.example/audio/journey-through-healing/"
    fits = lambda n: lambda line: len(line) <= n  # noqa: E731
    assert wrap_address(url, fits(60)) == [url]
    assert wrap_address(url, fits(35)) == ["https://clinic.example/audio/", "journey-through-healing/"]
    assert wrap_address(url, fits(12)) == ["https://", "clinic", ".example/", "audio/", "journey",
                                           "-through", "-healing/"]
    for n in (5, 9, 17, 30):
        lines = wrap_address(url, fits(n))
        assert "".join(lines) == url and all(len(line) <= n for line in lines)


def test_what_the_handout_never_prints_leaves_it_as_it_was(edition):
    """Its cache is keyed on the guide's fields it prints (publishing/edition.py),
    so that an edited sentence reuses its layout: every field of a guide is
    either among those, or shown here to leave the page byte for byte as it was."""
    from audio_guide.publishing.edition import _HANDOUT_FIELDS

    unprinted = {"path", "cover", "voice", "sections", "key_lines"}
    assert {f.name for f in dataclasses.fields(Guide)} == set(_HANDOUT_FIELDS) | unprinted
    guide = edition.guide
    other = dataclasses.replace(
        guide, path="elsewhere/guide.md", cover="other.jpg", key_lines=(("title", 9),),
        voice=dataclasses.replace(guide.voice, name="other", rate=101),
        sections=tuple(dataclasses.replace(s, chapters=s.chapters[:1], line=s.line + 7) for s in guide.sections))
    assert render_handout(dataclasses.replace(edition, guide=other)) == render_handout(edition)


def test_the_layout_found_before_the_lengths_are_known_is_the_one_they_get(edition):
    """A build lays the handout out while its sections are rendered, every
    length unknown (0:00), then draws it once in that layout."""
    for shown in (edition, long_edition(edition)):
        episodes = tuple(dataclasses.replace(e, duration_ms=0) for e in shown.episodes)
        unknown = dataclasses.replace(shown, episodes=episodes, full=dataclasses.replace(shown.full, duration_ms=0))
        assert handout.find_layout(unknown) == handout.lay_out(shown)[1]


def test_handout_module_names_its_layout():
    assert handout.__doc__ and "A4" in handout.__doc__ and "Letter" in handout.__doc__
    assert handout.BOTTOM <= 279.4 - 15 and handout.TOP >= 15 + (297 - 279.4) / 2
