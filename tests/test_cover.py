"""Cover art: square 3000 px RGB JPEG under 512 KB, the same bytes every time,
text inside the margins and legible (WCAG AA contrast), and a guide's own
cover image made to fit the same rules or refused with file:line."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from audio_guide.publishing import cover
from audio_guide.errors import AudioGuideError, ContentError, ToolError

TITLE = "Journey Through Healing"
SUBTITLE = "Emotional and Physical Recovery After Miscarriage"
PUBLISHER = "audio-guide"
LONG_TITLE = ("Journey Through Healing: Emotional and Physical Recovery After Miscarriage, "
              "a Gentle Companion for the Weeks and Months That Follow, Written With Care "
              "for Everyone Who Grieves, Their Partners, Families and Friends, and Incomprehensibilities")
BORDER = cover.SIZE * 5 // 100


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_podcast_cover(data: bytes, side: int = cover.SIZE) -> Image.Image:
    image = opened(data)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (side, side)
    assert len(data) < 512 * 1024
    assert "exif" not in image.info and "icc_profile" not in image.info
    return image


def difference_from_background(image: Image.Image) -> list[list[int]]:
    """Per pixel, the largest channel difference from the cover's gradient
    (sampled every 4th pixel to stay quick)."""
    pixels = image.load()
    rows = []
    for y in range(0, cover.SIZE, 4):
        expected = cover.background_colour(y)
        rows.append([max(abs(a - b) for a, b in zip(pixels[x, y], expected)) for x in range(0, cover.SIZE, 4)])
    return rows


@pytest.fixture(scope="module")
def guide_cover() -> bytes:
    return cover.make_cover(TITLE, SUBTITLE, PUBLISHER)


def test_generated_cover_follows_the_podcast_rules(guide_cover):
    assert_podcast_cover(guide_cover)


def test_generated_cover_is_the_same_bytes_every_time(guide_cover):
    assert cover.make_cover(TITLE, SUBTITLE, PUBLISHER) == guide_cover
    assert cover.make_cover(TITLE) == cover.make_cover(TITLE)
    assert cover.make_cover(TITLE) != guide_cover


@pytest.mark.parametrize("words", [(TITLE, SUBTITLE, PUBLISHER), (LONG_TITLE, SUBTITLE * 3, PUBLISHER), (TITLE,)])
def test_text_has_aa_contrast_against_the_background_where_it_stands(words):
    lines = cover.layout(*words)
    assert lines
    for line in lines:
        assert line.colour in cover.TEXT_COLOURS
        left, top, right, bottom = line.box
        for y in range(top, bottom + 1):
            ratio = cover.contrast_ratio(line.colour, cover.background_colour(y))
            assert ratio >= 4.5, (line.text, y, ratio)


def test_every_text_colour_has_aa_contrast_against_the_whole_gradient():
    for colour in cover.TEXT_COLOURS:
        worst = min(cover.contrast_ratio(colour, cover.background_colour(y)) for y in range(cover.SIZE))
        assert worst >= 4.5, (colour, worst)
    # the title and subtitle go further, to AAA
    for colour in (cover.TITLE_COLOUR, cover.SUBTITLE_COLOUR):
        assert min(cover.contrast_ratio(colour, cover.background_colour(y)) for y in range(cover.SIZE)) >= 7


def test_contrast_ratio_matches_wcag_examples():
    assert cover.contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert cover.contrast_ratio((255, 255, 255), (255, 255, 255)) == pytest.approx(1)
    assert cover.contrast_ratio((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_background_is_soft_and_warm():
    colours = [cover.background_colour(y) for y in range(cover.SIZE)]
    assert colours[0] == cover.DUSK and colours[-1] == cover.SAND
    for (r1, g1, b1), (r2, g2, b2) in zip(colours, colours[1:]):
        assert max(abs(r1 - r2), abs(g1 - g2), abs(b1 - b2)) <= 1    # a gentle gradient, no hard edges
    for colour in colours:
        assert 190 <= min(colour) and max(colour) - min(colour) <= 40  # light and muted, never saturated


def test_long_title_wraps_inside_the_margins():
    data = cover.make_cover(LONG_TITLE, SUBTITLE, PUBLISHER)
    image = assert_podcast_cover(data)
    lines = cover.layout(LONG_TITLE, SUBTITLE, PUBLISHER)
    title_lines = [line for line in lines if line.colour == cover.TITLE_COLOUR]
    assert len(title_lines) >= 4
    assert cover.TITLE_MIN_PX <= title_lines[0].size < cover.TITLE_MAX_PX
    for line in lines:
        left, top, right, bottom = line.box
        assert cover.MARGIN <= left and right <= cover.SIZE - cover.MARGIN, line
        assert cover.MARGIN <= top and bottom <= cover.SIZE - cover.MARGIN, line

    diff = difference_from_background(image)
    edge = BORDER // 4
    n = len(diff)
    border = [value for i, row in enumerate(diff) for j, value in enumerate(row)
              if i < edge or i >= n - edge or j < edge or j >= n - edge]
    assert max(border) <= 12, "something other than the background was drawn in the outer 5%"
    inked = sum(value > 100 for row in diff for value in row)
    assert inked > 1000, "the text was not drawn"


def test_a_giant_word_is_broken_to_fit():
    lines = cover.layout("A" * 200)
    assert len(lines) > 1
    assert "".join(line.text for line in lines) == "A" * 200
    for line in lines:
        assert cover.MARGIN <= line.box[0] and line.box[2] <= cover.SIZE - cover.MARGIN


def test_a_title_too_long_for_any_size_is_cut_with_an_ellipsis():
    lines = cover.layout("healing " * 2000, None, PUBLISHER)
    title_lines = [line for line in lines if line.colour == cover.TITLE_COLOUR]
    assert title_lines[-1].text.endswith("…")
    assert all(line.box[3] <= cover.SIZE - cover.MARGIN for line in lines)


def test_accents_dashes_and_other_alphabets_are_drawn_as_written():
    lines = cover.layout("Guérir — ensemble", "“Café” – Путь исцеления – Ἴασις")
    assert " ".join(line.text for line in lines) == "Guérir — ensemble “Café” – Путь исцеления – Ἴασις"


def test_a_title_in_a_script_no_bundled_font_draws_is_refused_with_the_character_named():
    with pytest.raises(AudioGuideError) as caught:
        cover.make_cover("回復への道")
    message = str(caught.value)
    assert "'回'" in message and "U+56DE" in message and "'cover:' image" in message


def test_emoji_are_left_off_the_cover():
    assert [line.text for line in cover.layout("Rest \U0001F33F well")] == ["Rest well"]


def test_missing_freetype_is_a_clear_error(monkeypatch):
    from audio_guide.publishing import lettering

    monkeypatch.setattr(lettering.features, "check", lambda name: False)
    lettering.lettering.cache_clear()
    try:
        with pytest.raises(ToolError, match="FreeType"):
            cover.make_cover("A title that is not cached yet")
    finally:
        monkeypatch.undo()
        lettering.lettering.cache_clear()


def test_load_cover_makes_a_square_rgb_jpeg_of_a_png(tmp_path):
    source = Image.new("RGBA", (1200, 800), (180, 150, 120, 255))
    source.paste((90, 120, 100, 0), (0, 0, 300, 800))              # a transparent strip on the left
    source.paste((40, 60, 150, 255), (500, 300, 700, 500))          # a blue square in the centre
    path = tmp_path / "cover.png"
    source.save(path)

    data = cover.load_cover(path, "content/guide/guide.md", 4)
    image = assert_podcast_cover(data)
    assert cover.load_cover(path, "content/guide/guide.md", 4) == data
    # centre-cropped: the 800 px square from x=200 to 1000, so the blue square
    # sits in the middle and the transparent strip (flattened onto sand) at the left
    r, g, b = image.getpixel((1500, 1500))
    assert b > r + 60
    left = image.getpixel((100, 1500))
    assert all(abs(a - e) <= 6 for a, e in zip(left, cover.SAND))


def test_load_cover_shrinks_a_detailed_photo_under_the_limit(tmp_path):
    # pure noise is the worst case for JPEG: far over 512 KB at 3000 px, quality 85
    noise = random.Random(1).randbytes(1000 * 900 * 3)
    path = tmp_path / "cover.png"
    Image.frombytes("RGB", (1000, 900), noise).save(path, compress_level=1)
    data = cover.load_cover(path, "guide.md", 2)
    image = opened(data)
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.width == image.height and 1400 <= image.width <= 3000
    assert len(data) < 512 * 1024


def test_load_cover_refuses_a_text_file_naming_the_guide(tmp_path):
    path = tmp_path / "cover.png"
    path.write_text("this is not an image\n")
    with pytest.raises(ContentError) as caught:
        cover.load_cover(path, "content/journey/guide.md", 5)
    error = caught.value
    assert error.path == "content/journey/guide.md" and error.line == 5
    assert str(error).startswith("content/journey/guide.md:5: ")
    assert "not an image" in str(error) and "JPEG or PNG" in str(error)


def test_load_cover_refuses_a_damaged_or_missing_image(tmp_path):
    whole = io.BytesIO()
    Image.new("RGB", (1500, 1500), (200, 180, 160)).save(whole, "PNG")
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    with pytest.raises(ContentError, match="guide.md:3: .*not an image"):
        cover.load_cover(damaged, "guide.md", 3)
    with pytest.raises(ContentError, match="guide.md:3: .*does not exist"):
        cover.load_cover(tmp_path / "nowhere.jpg", "guide.md", 3)
