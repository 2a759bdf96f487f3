"""Podcast cover art: one generated when a guide has none, or the guide's own.

The rules we build to
---------------------
* Apple Podcasts asks for a square image from 1400 x 1400 to 3000 x 3000
  pixels, in the RGB colour space, saved as JPEG or PNG. We always hand out
  an RGB JPEG, 3000 x 3000 whenever it fits the size limit below.
* Many podcast hosts and directories refuse artwork over 512 KB, so every
  cover is kept under 512 KB: the JPEG quality is lowered step by step and,
  only for the most detailed photographs, the side is stepped down too (never
  below 1400 px).
* The same inputs give byte-identical output: no randomness, no timestamps,
  no EXIF or ICC data, a fixed quality and fixed encoder options. A rebuild of
  an unchanged guide therefore changes no file, and the feed's enclosures and
  tags stay stable.

Why the generated cover looks the way it does
---------------------------------------------
The people who listen to these guides are often grieving (a guide such as
"Journey Through Healing: Emotional and Physical Recovery After Miscarriage").
The cover is the first thing they see in their podcast app, so it is quiet on
purpose: a soft vertical gradient of muted dusk, sage and sand tones, no harsh
edges, nothing clinical and no imagery of babies or bodies, just the words.
The words themselves are not faint: every text colour is a deep warm plum
whose contrast against every colour of the gradient is at least the WCAG AA
ratio of 4.5:1 (the title and subtitle reach AAA, 7:1), so the cover stays
legible as a small thumbnail and for people with low vision. The colours are
module constants so that the tests can check those ratios.

Text is drawn in FiraGO, the handout's font, bundled with the package
(lettering.py), so no system font is needed and the cover looks the same on
every machine. It draws Latin with its accents, Greek, Cyrillic, Hebrew,
Arabic and more; right-to-left titles are put in order and shaped (Arabic
letters joined) as the handout's are. A title in a script FiraGO lacks (such
as Chinese or Japanese) stops the build with the character named: such a
guide needs a ``cover:`` image of its own.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

from ..errors import AudioGuideError, ConfigError, ContentError
from .lettering import Lettering, covers, lettering

# --- The rules ---------------------------------------------------------------

SIZE = 3000                      # side of the cover, pixels (Apple: 1400 to 3000)
MIN_SIZE = 1400                  # the smallest side Apple accepts
MAX_BYTES = 512 * 1024           # a common podcast-host limit for artwork
JPEG_QUALITY = 85                # first quality tried; lowered only if needed
_QUALITIES = (JPEG_QUALITY, 75, 65, 55, 45, 35, 25)
_SIDES = (3000, 2400, 2000, 1600, MIN_SIZE)

# --- The design ----------------------------------------------------------------

# The background: a vertical gradient through these stops, (position 0..1, RGB).
DUSK = (215, 203, 214)           # #D7CBD6, soft lilac-grey at the top
SAGE = (207, 216, 201)           # #CFD8C9, muted sage in the middle
SAND = (238, 227, 208)           # #EEE3D0, warm sand at the bottom
GRADIENT = ((0.0, DUSK), (0.55, SAGE), (1.0, SAND))

TITLE_COLOUR = (52, 38, 54)      # #342636, deep plum
SUBTITLE_COLOUR = (66, 50, 66)   # #423242, a little softer
PUBLISHER_COLOUR = (88, 70, 84)  # #584654, softer still, still over 4.5:1
TEXT_COLOURS = (TITLE_COLOUR, SUBTITLE_COLOUR, PUBLISHER_COLOUR)
RULE_COLOUR = (150, 128, 142)    # the short line between title and subtitle (decoration, not text)

MARGIN = 300                     # 10% of the side on every edge is left empty
TITLE_MAX_PX, TITLE_MIN_PX = 300, 64
SUBTITLE_RATIO, SUBTITLE_MAX_PX, SUBTITLE_MIN_PX = 0.46, 124, 48
PUBLISHER_PX = 76
LINE_PITCH = 1.18                # line spacing, in font sizes
_RULE_WIDTH, _RULE_THICKNESS = 240, 6


def background_colour(y: int) -> tuple[int, int, int]:
    """The gradient's colour on row ``y`` of a SIZE x SIZE cover."""
    t = min(max(y / (SIZE - 1), 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(GRADIENT, GRADIENT[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return tuple(round(a + (b - a) * f) for a, b in zip(c0, c1))
    return GRADIENT[-1][1]


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours, from 1 to 21."""
    def luminance(rgb):
        def channel(c):
            c /= 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b_ = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# --- Fonts -------------------------------------------------------------------------


def _font(size: int) -> Lettering:
    return lettering(size)


def _printable(text: str) -> str:
    """``text`` with whitespace collapsed and without the symbols the font
    cannot draw (emoji, pictographs). A letter or digit it cannot draw stops
    the build rather than misspell the title on the cover."""
    out = []
    for char in " ".join(unicodedata.normalize("NFC", text).split()):
        if covers(char) or unicodedata.category(char) == "Cf":  # joiners and direction marks: HarfBuzz's
            out.append(char)
        elif unicodedata.category(char)[0] in "LN":
            name = unicodedata.name(char, "a character")
            raise ConfigError(f"the cover's font (FiraGO) cannot draw {char!r} (U+{ord(char):04X}, {name}) "
                              f"in {text!r}: give the guide a 'cover:' image (a square JPEG or PNG, 1400 to "
                              "3000 px) in its front matter instead")
    return " ".join("".join(out).split())


# --- Layout --------------------------------------------------------------------------


@dataclass(frozen=True)
class TextLine:
    """One line of text on the cover: drawn centred, its top at ``y``."""
    text: str
    size: int
    colour: tuple[int, int, int]
    y: int
    box: tuple[int, int, int, int]   # the inked area (left, top, right, bottom)


def _wrap(words: list[str], size: int, width: int, limit: int) -> list[str]:
    """Greedy wrap of ``words`` into lines no wider than ``width``; a word too
    long for a line on its own is broken between letters. Stops once there are
    more than ``limit`` lines (those could never fit anyway)."""
    font = _font(size)
    lines: list[str] = []
    current = ""
    for word in words:
        if len(lines) > limit:
            return lines
        while font.getlength(word) > width and len(lines) <= limit:          # an unbreakable giant: split it
            cut = 1
            while cut < len(word) and font.getlength(word[:cut + 1]) <= width:
                cut += 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _balance(lines: list[str], words: list[str], size: int, width: int) -> list[str]:
    """The same number of lines as ``lines``, but as even in length as possible
    (so a title does not end on one lonely word). Lines that are not simply
    ``words`` wrapped (a word broken, an ellipsis) are left as they are."""
    n = len(lines)
    if n < 2 or len(words) > 40 or " ".join(lines) != " ".join(words):
        return lines
    font = _font(size)
    span = functools.lru_cache(maxsize=None)(lambda i, j: font.getlength(" ".join(words[i:j])))

    @functools.lru_cache(maxsize=None)
    def best(start: int, count: int) -> tuple[float, tuple[int, ...]]:
        # smallest possible widest line for words[start:] in ``count`` lines
        if count == 1:
            return span(start, len(words)), ()
        result = (float("inf"), ())
        for cut in range(start + 1, len(words) - count + 2):
            head = span(start, cut)
            if head > width:
                break
            rest, cuts = best(cut, count - 1)
            result = min(result, (max(head, rest), (cut, *cuts)))
        return result

    widest, cuts = best(0, n)
    if widest > width:
        return lines
    bounds = (0, *cuts, len(words))
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]


def _block_height(count: int, size: int) -> int:
    return round((count - 1) * size * LINE_PITCH) + sum(_font(size).getmetrics())


def layout(title: str, subtitle: str | None = None, publisher: str | None = None) -> list[TextLine]:
    """Where every line of text goes on a SIZE x SIZE cover.

    The title is as large as it can be (at most TITLE_MAX_PX) with every line
    inside the margins; the subtitle is set smaller beneath a short rule, and
    the publisher small at the foot. A title too long even at the smallest size
    is cut short with an ellipsis.
    """
    title_words = _printable(title).split()
    if not title_words:
        raise ConfigError("the cover needs a title: give the guide a title the cover's font can draw")
    subtitle_words = _printable(subtitle or "").split()
    publisher_text = _printable(publisher or "")

    width = SIZE - 2 * MARGIN
    bottom = SIZE - MARGIN
    if publisher_text:
        pub_font = _font(PUBLISHER_PX)
        while pub_font.getlength(publisher_text) > width and len(publisher_text) > 1:
            publisher_text = publisher_text[:-2].rstrip() + "…"
        bottom -= sum(pub_font.getmetrics()) + round(PUBLISHER_PX * 1.6)
    height = bottom - MARGIN

    def arrange(size: int):
        sub_size = max(SUBTITLE_MIN_PX, min(SUBTITLE_MAX_PX, round(size * SUBTITLE_RATIO)))
        t_lines = _wrap(title_words, size, width, height // round(size * LINE_PITCH) + 1)
        s_lines = (_wrap(subtitle_words, sub_size, width, height // round(sub_size * LINE_PITCH) + 1)
                   if subtitle_words else [])
        gap = round(size * 0.55) if s_lines else 0
        total = _block_height(len(t_lines), size)
        if s_lines:
            total += 2 * gap + _RULE_THICKNESS + _block_height(len(s_lines), sub_size)
        return sub_size, t_lines, s_lines, gap, total

    # The largest title size (in steps of 2 px) at which everything fits: a
    # binary search, as a smaller title never needs more room than a larger one.
    low, high = TITLE_MIN_PX // 2, TITLE_MAX_PX // 2
    while low < high:
        middle = (low + high + 1) // 2
        if arrange(middle * 2)[-1] <= height:
            low = middle
        else:
            high = middle - 1
    size = low * 2
    sub_size, t_lines, s_lines, gap, total = arrange(size)
    while total > height:                               # still too long: cut the words short
        if len(s_lines) > 1:
            s_lines = s_lines[:-1]
            s_lines[-1] = _ellipsis(s_lines[-1], sub_size, width)
        elif len(t_lines) > 1:
            t_lines = t_lines[:-1]
            t_lines[-1] = _ellipsis(t_lines[-1], size, width)
        else:
            break
        total = _block_height(len(t_lines), size)
        if s_lines:
            total += 2 * gap + _RULE_THICKNESS + _block_height(len(s_lines), sub_size)
    t_lines = _balance(t_lines, title_words, size, width)
    s_lines = _balance(s_lines, subtitle_words, sub_size, width)

    lines: list[TextLine] = []
    y = MARGIN + (height - total) // 2
    y = _place(lines, t_lines, size, TITLE_COLOUR, y)
    if s_lines:
        y += gap + _RULE_THICKNESS + gap
        _place(lines, s_lines, sub_size, SUBTITLE_COLOUR, y)
    if publisher_text:
        ascent, descent = _font(PUBLISHER_PX).getmetrics()
        _place(lines, [publisher_text], PUBLISHER_PX, PUBLISHER_COLOUR, SIZE - MARGIN - ascent - descent)
    return lines


def _ellipsis(line: str, size: int, width: int) -> str:
    font = _font(size)
    line = line.rstrip(" .,;:") + "…"
    while font.getlength(line) > width and len(line) > 1:
        line = line[:-2].rstrip(" .,;:") + "…"
    return line


def _place(out: list[TextLine], texts: list[str], size: int, colour, y: int) -> int:
    font = _font(size)
    pitch = round(size * LINE_PITCH)
    for text in texts:
        out.append(TextLine(text, size, colour, y, font.getbbox(text, SIZE // 2, y)))
        y += pitch
    return y - pitch + sum(font.getmetrics())


# --- The covers ----------------------------------------------------------------------


def background() -> Image.Image:
    """The empty cover: the gradient alone, SIZE x SIZE RGB."""
    column = Image.new("RGB", (1, SIZE))
    column.putdata([background_colour(y) for y in range(SIZE)])
    return column.resize((SIZE, SIZE), Image.Resampling.NEAREST)


def make_cover(title: str, subtitle: str | None = None, publisher: str | None = None) -> bytes:
    """A calm 3000 x 3000 RGB JPEG cover, under 512 KB, showing the words given.

    Deterministic: the same words always give the same bytes.
    """
    lines = layout(title, subtitle, publisher)
    image = background()
    draw = ImageDraw.Draw(image)
    title_lines = [line for line in lines if line.colour == TITLE_COLOUR]
    subtitle_lines = [line for line in lines if line.colour == SUBTITLE_COLOUR]
    if subtitle_lines:                                   # the short rule between title and subtitle
        middle = (title_lines[-1].y + sum(_font(title_lines[-1].size).getmetrics()) + subtitle_lines[0].y) // 2
        draw.rectangle((SIZE // 2 - _RULE_WIDTH // 2, middle - _RULE_THICKNESS // 2,
                        SIZE // 2 + _RULE_WIDTH // 2 - 1, middle + _RULE_THICKNESS // 2 - 1), fill=RULE_COLOUR)
    for line in lines:
        _font(line.size).draw(draw, SIZE // 2, line.y, line.text, line.colour)
    data = _encode(image, subsampling=0)
    if data is None:                                     # cannot happen with this design; kept honest
        raise AudioGuideError(f"the generated cover does not fit in {MAX_BYTES // 1024} KB")
    return data


def load_cover(path: Path, guide_path: str, line: int | None) -> bytes:
    """The guide's own ``cover:`` image as a square RGB JPEG under 512 KB.

    Any image Pillow reads is accepted (JPEG and PNG are what we ask for): it
    is turned upright by its EXIF orientation, flattened onto sand if it has
    transparency, centre-cropped to a square and resized to 3000 x 3000.
    Anything else is a ContentError pointing at the guide's ``cover:`` line.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(guide_path, line, f"the cover image {str(path)!r} does not exist: "
                                             "put a JPEG or PNG there or fix the 'cover:' path") from None
    except OSError as exc:
        raise ContentError(guide_path, line, f"cannot read the cover image {str(path)!r} "
                                             f"({exc.strerror or exc}): check the file") from None
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()                               # structure and checksums, without decoding
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
            image = _to_rgb(image)
    except Image.DecompressionBombError:
        raise ContentError(guide_path, line, f"{path.name}: the cover image is far too large to open safely: "
                                             "use a JPEG or PNG of at most 3000 x 3000 pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError):
        raise ContentError(guide_path, line, f"{path.name}: the cover is not an image Pillow can read "
                                             "(or it is damaged): use a JPEG or PNG") from None
    image = ImageOps.fit(image, (SIZE, SIZE), Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    encoded = _encode(image)
    if encoded is None:
        raise ContentError(guide_path, line, f"{path.name}: the cover image is too detailed to fit in "
                                             f"{MAX_BYTES // 1024} KB even at {MIN_SIZE} px: use a simpler image")
    return encoded


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over the sand colour (not black)."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, SAND)
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        image = image.point(lambda v: v / 256).convert("L") if image.mode != "F" else image.convert("L")
    return image.convert("RGB")


def _encode(image: Image.Image, subsampling: int = 2) -> bytes | None:
    """The JPEG bytes of ``image`` under MAX_BYTES: quality first, then size, is
    given up step by step. None if even the smallest allowed cover is too big."""
    def jpeg(picture: Image.Image, quality: int) -> bytes:
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality, optimize=True, subsampling=subsampling)
        return buffer.getvalue()

    for side in _SIDES:
        sized = image if side == image.width else image.resize((side, side), Image.Resampling.LANCZOS)
        best = jpeg(sized, _QUALITIES[0])
        if len(best) < MAX_BYTES:
            return best                                  # the usual case: one encode
        if len(jpeg(sized, _QUALITIES[-1])) >= MAX_BYTES:
            continue                                     # hopeless at this size: skip its other qualities
        for quality in _QUALITIES[1:]:
            data = jpeg(sized, quality)
            if len(data) < MAX_BYTES:
                return data
    return None
