"""The cover's letters: lines of text in FiraGO, put in order by the Unicode
bidirectional algorithm, shaped by HarfBuzz and drawn by Pillow.

FiraGO is the handout's font (typesetting.py): the cover and the handout
draw the same scripts (Latin with every accent, Greek, Cyrillic, Hebrew,
Arabic, Thai, Georgian, Devanagari) in the same face.

Why not Pillow's own text layout: Pillow shapes text only when it finds
libraqm and FriBiDi on the machine at run time, which its wheels do not
promise. Without them Arabic letters would be drawn unjoined and right-to-left
words backwards, and the same guide would get a different cover on another
machine. So the order of each line is worked out here with the bidirectional
algorithm of fpdf2 (the handout's PDF library), each run is shaped by
HarfBuzz (uharfbuzz, which the handout shapes with too), and every glyph is
drawn where HarfBuzz puts it.

Pillow draws characters, not glyphs, so the font is handed to it with one
character map of its own: glyph number n is the private-use character
U+F0000 + n. Drawing that character draws exactly that glyph (a joined Arabic
form, a ligature, a vowel mark) with Pillow's own FreeType rasteriser, at the
position HarfBuzz gave it.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass

from PIL import ImageDraw, ImageFont, features

from ..errors import ToolError
from ..keys import library_version
from .typesetting import SANS, font_bytes

_GLYPH_PLANE = 0xF0000  # Supplementary Private Use Area-A: never a character of a title


@functools.lru_cache(maxsize=None)
def _font() -> tuple[str, bytes]:
    return font_bytes(SANS, "")


# The shaping, ordering and font libraries are imported where they are used:
# fpdf2 takes most of a second to import, which the commands that draw no
# cover (and a build whose cover is cached) need not wait for.

@functools.lru_cache(maxsize=None)
def _hb_font():
    import uharfbuzz as hb

    return hb.Font(hb.Face(_font()[1]))


@functools.lru_cache(maxsize=None)
def _glyph_font() -> bytes:
    """The font with one character map only: glyph n at U+F0000 + n."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    font = TTFont(io.BytesIO(_font()[1]))
    table = CmapSubtable.newSubtable(12)
    table.platformID, table.platEncID, table.language = 3, 10, 0
    table.cmap = {_GLYPH_PLANE + n: name for n, name in enumerate(font.getGlyphOrder())}
    font["cmap"].tables = [table]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@functools.lru_cache(maxsize=None)
def _coverage() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(io.BytesIO(_font()[1]), lazy=True).getBestCmap())


def covers(char: str) -> bool:
    """Whether the font has a glyph of its own for ``char``."""
    return ord(char) in _coverage()


def identity() -> str:
    """What decides the pixels besides the text and Pillow: the font's bytes
    and the shaping and ordering libraries' versions (for cache keys)."""
    name, data = _font()
    return (f"{name} {hashlib.sha256(data).hexdigest()[:16]} uharfbuzz {library_version('uharfbuzz')} "
            f"fpdf2 {library_version('fpdf2')}")


# --- Shaping -------------------------------------------------------------------


@dataclass(frozen=True)
class Glyph:
    """One glyph of a shaped line, in font units."""
    index: int      # its number in the font; 0 is the font's "missing" box
    x: float        # its origin, from the line's left end
    y: float        # its origin, up from the baseline


@dataclass(frozen=True)
class Run:
    """Characters of one direction, in logical order, as the line shows them."""
    text: str
    rtl: bool


def runs(text: str) -> tuple[Run, ...]:
    """``text`` as one line: its runs from left to right (Unicode bidirectional
    algorithm; the base direction is that of the first strong character, so a
    Hebrew title is a right-to-left line and a Latin publisher's name beside it
    is not)."""
    if all(ord(c) < 0x0590 for c in text):  # nothing right to left: one run, and no work
        return (Run(text, False),) if text else ()
    from fpdf.bidi import BidiParagraph

    paragraph = BidiParagraph(text, preserve_bn_chars=True)
    visual = paragraph.get_reordered_characters()
    out: list[Run] = []
    group: list = []
    for char in visual:
        if group and char.embedding_level != group[-1].embedding_level:
            out.append(_run(group))
            group = []
        group.append(char)
    if group:
        out.append(_run(group))
    return tuple(out)


def _run(chars: list) -> Run:
    rtl = chars[0].embedding_level % 2 == 1
    ordered = reversed(chars) if rtl else chars  # back to logical order: HarfBuzz shapes that
    return Run("".join(c.character for c in ordered), rtl)


@functools.lru_cache(maxsize=8192)
def shape(text: str) -> tuple[tuple[Glyph, ...], float]:
    """The glyphs of ``text`` as one line, left to right, and its advance (font units)."""
    import uharfbuzz as hb

    glyphs: list[Glyph] = []
    pen = 0.0
    for run in runs(text):
        buffer = hb.Buffer()
        buffer.add_str(run.text)
        buffer.guess_segment_properties()
        buffer.direction = "rtl" if run.rtl else "ltr"
        hb.shape(_hb_font(), buffer, {})
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions):
            glyphs.append(Glyph(info.codepoint, pen + position.x_offset, position.y_offset))
            pen += position.x_advance
    return tuple(glyphs), pen


# --- Drawing -------------------------------------------------------------------


def _require_freetype() -> None:
    if not features.check("freetype2"):
        raise ToolError("this Pillow was built without FreeType, so the cover's text cannot be drawn: "
                        "reinstall Pillow from its official wheel (pip install --force-reinstall pillow), "
                        "or give the guide a 'cover:' image")


class Lettering:
    """FiraGO at one size, in pixels: measures and draws shaped lines."""

    def __init__(self, size: int):
        _require_freetype()
        self.size = size
        self._scale = size / _hb_font().face.upem
        # BASIC: Pillow lays out nothing here, it only draws the glyph asked for.
        self._pil = ImageFont.truetype(io.BytesIO(_glyph_font()), size, layout_engine=ImageFont.Layout.BASIC)
        self._ink = functools.lru_cache(maxsize=None)(
            lambda index: self._pil.getbbox(chr(_GLYPH_PLANE + index), anchor="ls"))

    def getlength(self, text: str) -> float:
        """The line's advance width, pixels."""
        return shape(text)[1] * self._scale

    def getmetrics(self) -> tuple[int, int]:
        """The font's ascent and descent at this size, pixels."""
        return self._pil.getmetrics()

    def _placed(self, text: str, centre: float, top: float):
        """Each glyph's character and pen position, the line centred on
        ``centre`` with the font's ascent at ``top``."""
        glyphs, advance = shape(text)
        left = centre - advance * self._scale / 2
        baseline = top + self.getmetrics()[0]
        for glyph in glyphs:
            yield glyph.index, left + glyph.x * self._scale, baseline - glyph.y * self._scale

    def getbbox(self, text: str, centre: float = 0, top: float = 0) -> tuple[int, int, int, int]:
        """The area the line inks, drawn as ``draw`` would."""
        boxes = []
        for index, x, y in self._placed(text, centre, top):
            left, upper, right, lower = self._ink(index)
            if right > left and lower > upper:
                boxes.append((x + left, y + upper, x + right, y + lower))
        if not boxes:
            return (round(centre), round(top), round(centre), round(top))
        return (round(min(b[0] for b in boxes)), round(min(b[1] for b in boxes)),
                round(max(b[2] for b in boxes)), round(max(b[3] for b in boxes)))

    def draw(self, draw: ImageDraw.ImageDraw, centre: float, top: float, text: str, fill) -> None:
        """Draw the line centred on ``centre``, the font's ascent at ``top``."""
        for index, x, y in self._placed(text, centre, top):
            left, upper, right, lower = self._ink(index)
            if right > left and lower > upper:  # a space draws nothing
                draw.text((x, y), chr(_GLYPH_PLANE + index), font=self._pil, fill=fill, anchor="ls")


@functools.lru_cache(maxsize=64)
def lettering(size: int) -> Lettering:
    return Lettering(size)
