"""Guides written right to left: one in Arabic and one in Hebrew (fixtures in
tests/fixtures/scripts/, two short sections each) built end to end, and
their cover, pages, transcripts and handout judged with instruments of
their own: Pillow with libraqm and FriBiDi draws the cover's words for
comparison, poppler reads and renders the handout, Chromium with axe-core
reads the page. The cover and the handout pages are saved in
tests/artifacts/ for a person to look at."""

from __future__ import annotations

import io
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, features

from audio_guide import BuildOptions, build, phrases
from audio_guide.publishing import cover, lettering
from audio_guide.publishing.typesetting import SANS, font_bytes
from audio_guide.reading.guides import read_guides
from audio_guide.speaking.script import announcement

from .conftest import ROOT, require_tool

FIXTURE = ROOT / "tests" / "fixtures" / "scripts"
ARTIFACTS = ROOT / "tests" / "artifacts"
BASE = "https://clinic.example/audio"
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
GUIDES = {  # slug: (language, title, subtitle)
    "khutwat": ("ar", "خطوات صغيرة نحو التعافي", "دليل قصير عن الراحة"),
    "tzeadim": ("he", "צעדים קטנים להחלמה", "מדריך קצר על מנוחה"),
}
MIXED = "الأسبوع 2 من دليل audio-guide (الراحة)"  # digits, Latin and brackets inside Arabic


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("scripts")
    shutil.copytree(FIXTURE, work / "content")  # the build writes identity files beside the guides
    result = build(BuildOptions(content_dir=work / "content", out_dir=work / "out", cache_dir=work / "cache",
                                jobs=2, base_url=BASE))
    return result, work / "out"


# --- Words and reading -------------------------------------------------------------


def test_the_guides_are_read_in_their_languages_with_sentences_split():
    arabic, hebrew = sorted(read_guides(FIXTURE), key=lambda guide: guide.language)
    assert (arabic.language, hebrew.language) == ("ar", "he")
    assert announcement(arabic, 2) == "خطوات صغيرة نحو التعافي. القسم 2 من 2: نزهة قصيرة."
    assert announcement(hebrew, 2) == "צעדים קטנים להחלמה. פרק 2 מתוך 2: הליכה קצרה."
    sentences = [s.text for c in arabic.sections[1].chapters for b in c.blocks for s in b.sentences]
    assert "هل الجو بارد؟" in sentences  # Arabic's own question mark ends a sentence
    sentences = [s.text for c in hebrew.sections[0].chapters for b in c.blocks for s in b.sentences]
    assert sentences[:2] == ["מנוחה היא גם דרך לדאוג לעצמך.", "אם היום אפשר רק לשכב על הספה, זה בסדר."]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", sorted(set(phrases.STRINGS) - {"en"}))
def test_every_table_has_every_key_with_the_same_placeholders(language):
    english, own = phrases.STRINGS["en"], phrases.STRINGS[language]
    assert set(english) <= set(own), sorted(set(english) - set(own))
    for key, template in own.items():
        base = re.sub(r"_(zero|one|two|few|many|other)$", "_many", key)
        assert base in english, key  # an extra key is only another plural form of one that exists
        if base.endswith("_many") and key != base or key.endswith("_one"):
            assert _fields(template) <= _fields(english[base]), key  # "one section" may spell out its number
        else:
            assert _fields(template) == _fields(english[key]), key
    assert len(own["months"].split()) == 12


def test_counts_take_each_languages_plural_forms():
    assert [phrases.count("ar", n) for n in (1, 2, 3, 10, 11, 99, 100)] == [
        "قسم واحد", "قسمان", "3 أقسام", "10 أقسام", "11 قسمًا", "99 قسمًا", "100 قسم"]
    assert [phrases.count("he", n) for n in (1, 2, 7)] == ["פרק אחד", "שני פרקים", "7 פרקים"]
    assert [phrases.count("en", n) for n in (1, 2)] == ["1 section", "2 sections"]
    assert phrases.count("ar", 3, "handout_more").startswith("و3 أقسام أخرى")
    assert phrases.count("es", 2, "handout_more").startswith("y 2 secciones más")  # a table without the forms


def test_direction_of_a_language():
    for tag in ("ar", "he", "fa-IR", "ur", "yi", "az-Arab", "ckb"):
        assert phrases.direction(tag) == "rtl", tag
    for tag in ("en", "es-MX", "ku-Latn", "el", "ru"):
        assert phrases.direction(tag) == "ltr", tag


# --- The cover -----------------------------------------------------------------------


def _raqm_line(text: str, size: int, canvas: tuple[int, int]) -> Image.Image:
    """``text`` drawn by Pillow's own complex layout (libraqm, FriBiDi and
    HarfBuzz), centred: the reference the cover's drawing is held to."""
    if not features.check("raqm"):
        from .test_page import missing

        missing("Pillow's libraqm (it loads FriBiDi at run time)", "apt-get install libfribidi0")
    font = ImageFont.truetype(io.BytesIO(font_bytes(SANS)[1]), size, layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", canvas, 0)
    ImageDraw.Draw(image).text((canvas[0] / 2, 40), text, font=font, fill=255, anchor="ma")
    return image


def _our_line(text: str, size: int, canvas: tuple[int, int]) -> Image.Image:
    image = Image.new("L", canvas, 0)
    lettering.lettering(size).draw(ImageDraw.Draw(image), canvas[0] / 2, 40, text, 255)
    return image


def _unshaped_line(text: str, size: int, canvas: tuple[int, int]) -> Image.Image:
    """What a renderer without shaping draws: letters apart, in logical order."""
    font = ImageFont.truetype(io.BytesIO(font_bytes(SANS)[1]), size, layout_engine=ImageFont.Layout.BASIC)
    image = Image.new("L", canvas, 0)
    ImageDraw.Draw(image).text((canvas[0] / 2, 40), text, font=font, fill=255, anchor="ma")
    return image


def _differing(a: Image.Image, b: Image.Image) -> int:
    """Pixels far apart in the two drawings, once a light blur has evened out
    what a fraction of a pixel's shift (libraqm rounds positions to 1/64 px)
    changes at the edges of the strokes."""
    a, b = (image.filter(ImageFilter.BoxBlur(2)) for image in (a, b))
    return sum(1 for value in ImageChops.difference(a, b).get_flattened_data() if value > 96)


@pytest.mark.parametrize("text", [GUIDES["khutwat"][1], GUIDES["tzeadim"][1], MIXED, "Guérir — Путь"])
def test_cover_lines_are_drawn_as_libraqm_draws_them(text):
    canvas = (2400, 300)
    ours, reference = _our_line(text, 160, canvas), _raqm_line(text, 160, canvas)
    inked = sum(1 for value in reference.get_flattened_data() if value > 96)
    assert inked > 5000
    assert _differing(ours, reference) <= inked // 200, "joined, ordered and placed as libraqm does"
    if text != "Guérir — Путь":  # the check can fail: unshaped right-to-left text is far off
        assert _differing(_unshaped_line(text, 160, canvas), reference) > inked // 4
    glyphs, _ = lettering.shape(text)
    assert all(glyph.index != 0 for glyph in glyphs), "no missing-glyph box"


@pytest.mark.parametrize("slug", GUIDES)
def test_built_cover_shows_the_title_shaped_right_to_left(built, slug):
    result, out = built
    language, title, subtitle = GUIDES[slug]
    data = (out / slug / "cover.jpg").read_bytes()
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (cover.SIZE, cover.SIZE) and len(data) < cover.MAX_BYTES
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.resize((1000, 1000), Image.Resampling.LANCZOS).save(ARTIFACTS / f"cover-{language}.png")

    lines = [line for line in cover.layout(title, subtitle, "audio-guide") if line.colour == cover.TITLE_COLOUR]
    assert " ".join(line.text for line in lines) == title
    for line in lines:
        left, top, right, bottom = line.box
        crop = image.crop((0, top - 20, cover.SIZE, bottom + 20)).convert("L")
        # The text's ink against the gradient: dark where a glyph is.
        ink = crop.point(lambda v: 255 if v < 120 else 0)
        reference = _raqm_line(line.text, line.size, (cover.SIZE, bottom - top + 120))
        reference = reference.crop((0, 40 + (top - line.y) - 20, cover.SIZE, 40 + (bottom - line.y) + 20))
        reference = reference.point(lambda v: 255 if v > 135 else 0)
        inked = sum(1 for value in reference.get_flattened_data() if value)
        assert inked > 2000, line
        assert _differing(ink, reference) <= inked // 50, f"{line.text!r} differs from libraqm's drawing"
        assert all(glyph.index != 0 for glyph in lettering.shape(line.text)[0])


def test_a_script_no_bundled_font_draws_names_the_character_and_the_way_out(tmp_path):
    from audio_guide.errors import ContentError

    folder = tmp_path / "content" / "michi"
    folder.mkdir(parents=True)
    (folder / "guide.md").write_text("---\ntitle: 回復への道\nlanguage: ja\npublished: 2026-11-30\n---\n\n"
                                     "## 休む {#rest}\n\nゆっくり休みましょう。\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        build(BuildOptions(content_dir=tmp_path / "content", out_dir=tmp_path / "out", cache_dir=tmp_path / "c"))
    message = str(caught.value)
    assert str(folder / "guide.md") in message and "'回'" in message and "'cover:' image" in message


# --- Pages and transcripts -------------------------------------------------------------


@pytest.mark.parametrize("slug", GUIDES)
def test_pages_and_transcripts_say_their_language_and_direction(built, slug):
    _, out = built
    language = GUIDES[slug][0]
    opening = f'<html lang="{language}" dir="rtl">'
    page = (out / slug / "index.html").read_text(encoding="utf-8")
    assert opening in page
    for transcript in (out / slug / "transcripts").glob("*.html"):
        assert opening in transcript.read_text(encoding="utf-8")
    table = phrases.STRINGS[language]
    for key in ("read_along", "subscribe_title", "contents"):
        assert table[key] in page
    assert phrases.text(language, "section_of", number=1, total=2) in page
    for english in ("Read along", "Listen in a podcast app", "Section 1 of 2"):
        assert english not in page
    text = (out / slug / "transcripts" / "02-walk.txt").read_text(encoding="utf-8")
    assert text.startswith(phrases.text(language, "announcement", guide=GUIDES[slug][1] + ".", number=2,
                                        total=2, section=""))


@pytest.fixture(scope="module")
def pages(built):
    from .test_page import browsing  # the listening page tests' browser set-up

    with browsing(built[1]) as opened:
        yield opened


@pytest.mark.parametrize("slug", GUIDES)
def test_the_page_reads_right_to_left_and_passes_axe(pages, slug):
    from .test_page import PHONE, axe, explain, screenshot

    language = GUIDES[slug][0]
    page = pages.open(f"{slug}/", viewport=PHONE)
    screenshot(page, f"page-{language}", full_page=False)
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    # The title's lines start at the right of its box, and the cover beside it
    # stands at the right, where a right-to-left reader begins.
    title, box, image = page.evaluate("""() => { const h1 = document.querySelector('h1');
        const range = document.createRange(); range.selectNodeContents(h1);
        const rect = (r) => [r.left, r.right];
        return [rect(range.getBoundingClientRect()), rect(h1.getBoundingClientRect()),
                rect(document.querySelector('.hero img, img.cover').getBoundingClientRect())]; }""")
    assert abs(box[1] - title[1]) < 2 and title[0] - box[0] > 2, (title, box)
    assert image[0] >= box[1], (image, box)
    violations = axe(page)
    assert violations == [], explain(violations)


# --- The handout -----------------------------------------------------------------------


def _pdf_words(pdf: Path) -> list[tuple[str, float, float]]:
    """Each word poppler finds, with its left and right ends (points)."""
    out = subprocess.run([require_tool("pdftotext"), "-bbox", "-enc", "UTF-8", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    found = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', out)
    return [(word, float(a), float(b)) for a, b, word in found]


@pytest.mark.parametrize("slug", GUIDES)
def test_the_handout_is_shaped_and_laid_out_right_to_left(built, slug):
    _, out = built
    language, title, subtitle = GUIDES[slug]
    pdf = out / slug / "handout.pdf"
    text = subprocess.run([require_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [" ".join(BIDI_MARKS.sub("", line).split()) for line in text.splitlines()]
    # poppler gives the words back in logical order: shaped glyphs that map to their letters
    assert lines[:2] == [title, subtitle]
    words = " ".join(lines)
    table = phrases.STRINGS[language]
    for key in ("handout_total", "handout_hear"):
        assert table[key] in words
    assert "scan the code" not in words and "What you will hear" not in words

    # Laid out in mirror image: the title ends at the right margin (194 mm),
    # the QR code stands on the right, the lengths on the left.
    found = _pdf_words(pdf)
    mm = 72 / 25.4
    title_words = [w for w in found if w[0] in title.split() or w[0][::-1] in title.split()]
    assert title_words and abs(max(w[2] for w in title_words) - 194 * mm) < 2
    url = f"{BASE}/{slug}/feed.xml"
    assert any(w[0] == url for w in found)  # an address stays left to right
    times = [w for w in found if re.fullmatch(r"\d+:\d\d", w[0])]
    assert len(times) == 3 and all(w[2] < 60 * mm for w in times), times  # two sections and the total

    page = _render(pdf, language).convert("L").point(lambda v: 255 if v < 60 else 0)
    band = (int(page.height * 0.2), int(page.height * 0.45))  # where the code stands, below the title
    right = page.crop((int(page.width * 0.6), band[0], page.width, band[1]))
    left = page.crop((0, band[0], int(page.width * 0.4), band[1]))
    count = lambda image: sum(1 for value in image.get_flattened_data() if value)  # noqa: E731
    assert count(right) > 4 * count(left), "the QR code's dark modules stand on the right"


def _render(pdf: Path, language: str) -> Image.Image:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / f"handout-{language}"
    subprocess.run([require_tool("pdftoppm"), "-r", "100", "-png", "-singlefile", str(pdf), str(stem)], check=True)
    return Image.open(stem.with_suffix(".png")).convert("RGB")


def test_the_editions_pass_the_check(built):
    from audio_guide.checking.edition import check_edition

    _, out = built
    work = out.parent
    assert check_edition(out, work / "content") == []
