"""The printed handout: one page a clinic gives to a patient, with a QR code
that opens the guide's listening page.

What the page is for
--------------------
Someone has just been told they are miscarrying, or is recovering from it,
and is handed this sheet. They may be distressed, tired, reading without
their glasses, or have low vision. So the sheet asks one thing of them (scan
the code) and makes that thing large and obvious; everything else is there
for later, in the order they are likely to need it:

1. the clinic's name, contact line and logo, when the edition has a ``Site``,
   so they know who gave them the sheet and how to reach them;
2. the guide's title, subtitle and a short description;
3. "Listen on your phone: scan the code", with the QR code (the symbol alone
   at least 50 mm wide, so it is still over 45 mm when a printer shrinks the
   page to fit) and, beside it, the same address written out for typing;
4. how to follow the guide in a podcast app (the feed address);
5. the sections with their lengths (m:ss) and the total length;
6. the licence, at the foot of the page.

Legibility
----------
* Large type: body text 14 pt, headings 18 pt, the title 28 pt; addresses in
  a bold monospaced face at 16 pt (13 pt for the longer feed address). All
  of it is scaled up (to 120 %) when a short guide leaves room, and down when
  a long one would overflow, never below 86 % (body text 12 pt); a guide
  with more sections than still fit then lists as many as fit and says how
  many more the listening page has. The real guide, with a clinic's name,
  contact line and logo, prints at 100 %.
* High contrast: near-black text (#1B1B1F, 17:1 on white, 15:1 on the row
  band) and deep plum headings (#3A2340, 14:1); everything lighter is
  decoration (thin rules, a very light band behind every other section row),
  never text.
* Generous spacing: 1.35 line height, space between blocks, a ragged right
  edge (no justification, no hyphenation).
* Addresses are wrapped where a reader expects a break (typesetting.py),
  in Cascadia Mono, whose 0/O and 1/l/I are unmistakable.

Paper: A4 and US Letter alike
-----------------------------
The page is A4 (210 x 297 mm) but everything is drawn inside the area that
survives on US Letter (215.9 x 279.4 mm) whichever way a printer places an A4
page on it (aligned to the top, or centred, which crops 8.8 mm from top and
bottom): x from 16 to 194 mm, y from 24 to 264 mm. That keeps at least 15 mm
of white on every side on either paper. The PDF also asks viewers to print at
actual size, so the QR code keeps its size; a printer that shrinks to fit
anyway scales the page by 0.94 at most.

Text and fonts
--------------
All text is real text (selectable, searchable, read by screen readers), drawn
in reading order, with the document's title and language in its metadata.
The fonts (FiraGO, Cascadia Mono) are embedded, subset; what they cannot
draw is left out or shown as "?" (typesetting.py). Text is shaped with
HarfBuzz (``uharfbuzz``) so right-to-left words read in the right order and
Arabic letters join. The document title in the metadata keeps the exact
title.

A guide in a language written right to left (phrases.direction: Arabic,
Hebrew, Persian, Urdu...) gets the page in mirror image: its paragraphs
start at the right edge, the QR code stands on the right with the words to
its left, and the section numbers on the right with the lengths on the left.
Web addresses stay left to right wherever they stand.

The QR code (qr.py) is drawn as vector rectangles in the PDF, the same
symbol as the ``qr.png`` and ``qr.svg`` published beside the page.

Deterministic: the same edition gives the same bytes. The PDF's creation date
is the guide's publication date (never the clock), fonts are subset with a
fixed tag, and nothing random goes in.
"""

from __future__ import annotations

import datetime as _dt
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos
from fpdf.prefs import ViewerPreferences
from PIL import Image

from .. import phrases as strings
from ..durations import clock
from ..model import Edition
from . import qr
from .qr import page_url
from .typesetting import MONO, SANS, printable, wrap_address, write_fonts

# --- The page (mm) -------------------------------------------------------------

PAGE_W, PAGE_H = 210.0, 297.0                  # A4
LETTER_W, LETTER_H = 215.9, 279.4              # US Letter
MARGIN = 15.0                                  # white space kept on every side, on either paper
INSET = 1.0                                    # room for glyphs that overhang their box (the J's hook)
LEFT, RIGHT = MARGIN + INSET, PAGE_W - MARGIN - INSET  # 16 .. 194: A4 is the narrower paper
TOP = 24.0                                     # >= 15 + (297 - 279.4) / 2: centred on Letter
BOTTOM = 264.0                                 # <= 279.4 - 15: top-aligned on Letter
WIDTH = RIGHT - LEFT

QR_SYMBOL_MM = 50.0                            # the dark part of the code, quiet zone excluded

# --- The look ------------------------------------------------------------------

TEXT = (27, 27, 31)          # #1B1B1F
HEADING = (58, 35, 64)       # #3A2340, deep plum
RULE = (176, 160, 180)       # decoration only
BAND = (243, 239, 244)       # light band behind every other section row (text on it: > 15:1)

SIZES = {  # points, at scale 1
    "title": 28, "subtitle": 18, "heading": 18, "body": 14, "address": 16, "feed": 13,
    "clinic": 17, "contact": 14, "row": 14, "licence": 12,
}
LINE_HEIGHT = 1.35           # in font sizes
# Tried in turn until everything fits: a short guide gets larger type, a long
# one smaller, never below body text of 12 pt.
SCALES = (1.2, 1.15, 1.1, 1.05, 1.0, 0.95, 0.9, 0.86)
LOGO_MAX_H, LOGO_MAX_W = 16.0, 50.0
PT = 25.4 / 72               # mm per point


# --- Public API ----------------------------------------------------------------


def render_handout(edition: Edition) -> bytes:
    """The one-page printable handout for ``edition``, as PDF bytes."""
    return lay_out(edition)[0]


def lay_out(edition: Edition, layout: tuple[float, int] | None = None) -> tuple[bytes, tuple[float, int]]:
    """The handout as ``render_handout`` makes it, and its layout: the type's
    scale and how many sections it lists. ``layout``, a handout's that
    differed only in the durations it printed (which take a column of fixed
    width), is tried first: one render rather than several."""
    with tempfile.TemporaryDirectory(prefix="audio-guide-fonts-") as folder:
        sheet = _laid_out(edition, write_fonts(Path(folder)), layout)
        return bytes(sheet.pdf.output()), (sheet.scale, len(sheet.row_bottoms))


def find_layout(edition: Edition) -> tuple[float, int]:
    """The layout ``lay_out`` would find for ``edition``, without the PDF."""
    with tempfile.TemporaryDirectory(prefix="audio-guide-fonts-") as folder:
        sheet = _laid_out(edition, write_fonts(Path(folder)), None)
        return sheet.scale, len(sheet.row_bottoms)


def _laid_out(edition: Edition, fonts, layout: tuple[float, int] | None) -> "_Sheet":
    if layout:
        sheet, fits = _render(edition, fonts, *layout)
        if fits:
            return sheet
    sections = len(edition.episodes)
    sheet, fits = _render(edition, fonts, SCALES[-1], sections)
    if fits:  # the largest type at which everything fits: larger type never takes less room
        low, high = 0, len(SCALES) - 1  # SCALES[high] fits; is a larger one (lower index) fit too?
        while low < high:
            middle = (low + high) // 2
            larger, fits = _render(edition, fonts, SCALES[middle], sections)
            if fits:
                sheet, high = larger, middle
            else:
                low = middle + 1
    else:  # even the smallest type is too large: the most sections that fit. A row takes the
        # same room whatever follows it, so the full list says how many could fit with the
        # total under them; with the note of how many more there are, that many fit or one
        # or two fewer do (a long guide's render takes half a second: fewer than a search).
        room = sheet.limit - (sheet.flow_end - sheet.row_bottoms[-1])
        shown = sum(1 for bottom in sheet.row_bottoms if bottom <= room)
        while True:
            sheet, fits = _render(edition, fonts, SCALES[-1], shown)
            if fits or shown == 0:
                break
            shown -= 1
    return sheet


# --- Layout --------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    family: str
    bold: bool
    size: float  # pt
    colour: tuple[int, int, int] = TEXT

    @property
    def line(self) -> float:  # mm
        return self.size * PT * LINE_HEIGHT


class _Sheet:
    def __init__(self, edition: Edition, fonts: dict[tuple[str, str], Path], scale: float):
        self.edition = edition
        self.scale = scale
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(LEFT, TOP, PAGE_W - RIGHT)
        pdf.set_auto_page_break(False)
        pdf.c_margin = 0
        for (family, style), path in fonts.items():
            pdf.add_font(family, style, str(path))
        self.rtl = strings.direction(edition.guide.language) == "rtl"
        pdf.set_text_shaping(True)
        guide = edition.guide
        pdf.set_title(guide.title)
        if guide.language:
            pdf.set_lang(guide.language)
        subject = guide.subtitle or guide.description
        if subject:
            pdf.set_subject(subject)
        if guide.author or guide.publisher:
            pdf.set_author(guide.author or guide.publisher)
        if guide.keywords:
            pdf.set_keywords(" ".join(guide.keywords))
        pdf.set_creator("audio-guide")
        pdf.set_creation_date(_creation_date(edition))
        pdf.viewer_preferences = ViewerPreferences(display_doc_title=True, print_scaling="None")
        pdf.add_page()
        self.pdf = pdf
        self.row_bottoms: list[float] = []  # where each section's row in the list ends
        self.flow_end = self.limit = 0.0

    def style(self, name: str, family: str = SANS, bold: bool = False, colour=TEXT) -> _Style:
        return _Style(family, bold, round(SIZES[name] * self.scale, 1), colour)

    def use(self, style: _Style) -> None:
        self.pdf.set_font(style.family, "B" if style.bold else "", style.size)
        self.pdf.set_text_color(*style.colour)
        if self.rtl:  # else each paragraph's own first letter says (as dir="auto" on the page)
            # Addresses (the mono face) read left to right even here: a trailing
            # "/" would otherwise jump to the line's far end.
            self.pdf.set_text_shaping(True, direction="ltr" if style.family == MONO else "rtl")

    def at(self, x: float, width: float = 0.0) -> float:
        """Where a box of ``width`` laid out at ``x`` stands on this page: in
        mirror image on a right-to-left one."""
        return LEFT + RIGHT - x - width if self.rtl else x

    def align(self, align: Align = Align.L) -> Align:
        """``align`` as this page reads it: left and right swap on a right-to-left one."""
        if self.rtl and align in (Align.L, Align.R):
            return Align.R if align == Align.L else Align.L
        return align

    def space(self, mm: float) -> None:
        self.pdf.set_y(self.pdf.get_y() + mm * self.scale)

    def text(self, text: str, style: _Style, x: float = LEFT, width: float = WIDTH) -> None:
        """A paragraph, wrapped to ``width``."""
        text = printable(text, style.family)
        if not text:
            return
        self.use(style)
        self.pdf.set_x(self.at(x, width))
        self.pdf.multi_cell(width, style.line, text, align=self.align(), new_x=XPos.LEFT, new_y=YPos.NEXT)

    def lines(self, text: str, style: _Style, width: float) -> list[str]:
        self.use(style)
        return self.pdf.multi_cell(width, style.line, printable(text, style.family), dry_run=True,
                                   output=MethodReturnValue.LINES)

    def address(self, address: str, style: _Style, x: float, width: float) -> None:
        """A web address, in lines broken where a reader expects."""
        self.use(style)
        fits = lambda line: self.pdf.get_string_width(line) <= width  # noqa: E731
        for line in wrap_address(printable(address, style.family), fits):
            self.pdf.set_x(self.at(x, width))
            self.pdf.cell(width, style.line, line, align=self.align(), new_x=XPos.LEFT, new_y=YPos.NEXT)

    def rule(self, colour=RULE, width: float = 0.4) -> None:
        """A thin horizontal rule across the area (a filled box: no line caps
        reaching past its ends)."""
        self.pdf.set_fill_color(*colour)
        self.pdf.rect(LEFT, self.pdf.get_y() - width / 2, WIDTH, width, style="F")


def _render(edition: Edition, fonts, scale: float, sections: int) -> tuple[_Sheet, bool]:
    sheet = _Sheet(edition, fonts, scale)
    pdf = sheet.pdf
    guide = edition.guide
    _branding(sheet)

    sheet.text(guide.title, sheet.style("title", bold=True, colour=HEADING))
    if guide.subtitle:
        sheet.space(1)
        sheet.text(guide.subtitle, sheet.style("subtitle", colour=HEADING))
    if guide.description:
        sheet.space(4)
        sheet.text(guide.description, sheet.style("body"))

    sheet.space(2)
    _listen(sheet, page_url(edition))
    sheet.space(2)
    _podcast(sheet, edition.feed_url)
    sheet.space(6)
    _sections(sheet, sections)

    sheet.flow_end = pdf.get_y()
    sheet.limit = _licence(sheet) - 3 * scale  # where the flow must end, above the licence
    return sheet, sheet.flow_end <= sheet.limit


def _branding(sheet: _Sheet) -> None:
    site, pdf = sheet.edition.site, sheet.pdf
    logo = _logo(site.logo)
    name = printable(site.clinic_name or "")
    contact = printable(site.contact or "")
    if not (logo or name or contact):
        return
    top = pdf.get_y()
    x = LEFT
    logo_h = 0.0
    if logo:
        data, (w, h) = logo
        logo_h = min(LOGO_MAX_H, LOGO_MAX_W * h / w)
        logo_w = logo_h * w / h
        pdf.image(io.BytesIO(data), x=sheet.at(LEFT, logo_w), y=top, w=logo_w, h=logo_h)
        x = LEFT + logo_w + 6
    name_style = sheet.style("clinic", bold=True, colour=HEADING)
    contact_style = sheet.style("contact")
    width = RIGHT - x
    text_h = (len(sheet.lines(name, name_style, width)) * name_style.line if name else 0) + \
             (len(sheet.lines(contact, contact_style, width)) * contact_style.line if contact else 0)
    pdf.set_y(top + max(0.0, (logo_h - text_h) / 2))
    if name:
        sheet.text(name, name_style, x=x, width=width)
    if contact:
        sheet.text(contact, contact_style, x=x, width=width)
    pdf.set_y(max(pdf.get_y(), top + logo_h) + 3 * sheet.scale)
    sheet.rule()
    sheet.space(5)


def _listen(sheet: _Sheet, url: str) -> None:
    """The code on the left; on its right what to do with it, and the same
    address written out for typing."""
    pdf = sheet.pdf
    code = qr.make(url)
    module = QR_SYMBOL_MM / code.symbol_size(scale=1, border=0)[0]
    quiet = qr.BORDER * module
    # The symbol lines up with the text above it; its quiet zone (4 modules
    # of white) reaches into the margin, where nothing else is drawn either.
    qr_top = pdf.get_y() + quiet
    x = LEFT + QR_SYMBOL_MM + quiet
    width = RIGHT - x
    body = sheet.style("body")
    pdf.set_y(qr_top - 1.5)
    # In reading order: the heading, the code, then the words beside it.
    sheet.text(_words(sheet, "handout_scan"), sheet.style("heading", bold=True, colour=HEADING),
               x=x, width=width)
    _draw_qr(pdf, code, sheet.at(LEFT, QR_SYMBOL_MM), qr_top, module)
    sheet.space(2)
    sheet.text(_words(sheet, "handout_camera"), body, x=x, width=width)
    sheet.space(3)
    sheet.text(_words(sheet, "handout_type"), body, x=x, width=width)
    sheet.space(1)
    sheet.address(url, sheet.style("address", family=MONO, bold=True), x=x, width=width)
    pdf.set_y(max(pdf.get_y() + 5 * sheet.scale, qr_top + QR_SYMBOL_MM + quiet))


def _words(sheet: _Sheet, key: str, **values) -> str:
    """The handout's own words in the guide's language (phrases.py)."""
    return strings.text(sheet.edition.guide.language, key, **values)


def _podcast(sheet: _Sheet, feed_url: str) -> None:
    sheet.text(_words(sheet, "handout_podcast"), sheet.style("heading", bold=True, colour=HEADING))
    sheet.space(2)
    sheet.text(_words(sheet, "handout_by_url"), sheet.style("body"))
    sheet.space(1.5)
    sheet.address(feed_url, sheet.style("feed", family=MONO, bold=True), x=LEFT, width=WIDTH)


def _sections(sheet: _Sheet, shown: int) -> None:
    pdf, episodes = sheet.pdf, sheet.edition.episodes
    sheet.text(_words(sheet, "handout_hear"), sheet.style("heading", bold=True, colour=HEADING))
    sheet.space(2)
    row = sheet.style("row")
    total = sheet.style("row", bold=True)
    pad = 0.8 * sheet.scale
    sheet.use(row)
    number_w = pdf.get_string_width("00") + 4
    time_w = pdf.get_string_width("00:00:00") + 2
    title_x = LEFT + number_w
    title_w = WIDTH - number_w - time_w - 3
    for i, episode in enumerate(episodes[:shown]):
        lines = sheet.lines(episode.section.title, row, title_w) or [""]
        top = pdf.get_y()
        height = len(lines) * row.line + 2 * pad
        if i % 2 == 0:
            pdf.set_fill_color(*BAND)
            pdf.rect(LEFT, top, WIDTH, height, style="F")
        sheet.use(row)
        pdf.set_xy(sheet.at(LEFT, number_w), top + pad)
        pdf.cell(number_w, row.line, str(episode.number), align=sheet.align())
        for n, line in enumerate(lines):
            pdf.set_xy(sheet.at(title_x, title_w), top + pad + n * row.line)
            pdf.cell(title_w, row.line, line, align=sheet.align())
        pdf.set_xy(sheet.at(RIGHT - time_w, time_w), top + pad)
        pdf.cell(time_w, row.line, clock(episode.duration_ms), align=sheet.align(Align.R))
        pdf.set_y(top + height)
        sheet.row_bottoms.append(top + height)
    if shown < len(episodes):
        more = len(episodes) - shown
        sheet.space(1)
        sheet.text(strings.count(sheet.edition.guide.language, more, "handout_more")
                   if shown else _words(sheet, "handout_all", count=more), row)
    sheet.rule(colour=RULE, width=0.3)
    top = pdf.get_y()
    sheet.use(total)
    pdf.set_xy(sheet.at(title_x, title_w), top + pad)
    pdf.cell(title_w, total.line, _words(sheet, "handout_total_all", count=len(episodes)) if len(episodes) > 1
             else _words(sheet, "handout_total"), align=sheet.align())
    pdf.set_xy(sheet.at(RIGHT - time_w, time_w), top + pad)
    pdf.cell(time_w, total.line, clock(sheet.edition.full.duration_ms), align=sheet.align(Align.R))
    pdf.set_y(top + total.line + 2 * pad)


def _licence(sheet: _Sheet) -> float:
    """The licence line at the foot of the area; returns where it starts."""
    guide = sheet.edition.guide
    licence = _words(sheet, "handout_licence", licence=guide.license) if guide.license else None
    parts = [p for p in (guide.copyright, licence) if p]
    if not parts:
        return BOTTOM
    style = sheet.style("licence")
    text = "  \u00b7  ".join(parts)
    height = len(sheet.lines(text, style, WIDTH)) * style.line
    top = BOTTOM - height
    sheet.pdf.set_y(top)
    sheet.text(text, style)
    return top


def _draw_qr(pdf: FPDF, code: segno.QRCode, x: float, y: float, module: float) -> None:
    """Each run of dark modules as one rectangle, overlapping the next row by a
    hair so that no viewer shows seams between rows."""
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(code.matrix_iter(scale=1, border=0)):
        c = 0
        row = list(row)
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + r * module, (c - start) * module,
                         module + (0.02 if r < len(row) - 1 else 0), style="F")
            else:
                c += 1


def _logo(path: str | None) -> tuple[bytes, tuple[int, int]] | None:
    """The logo file's bytes and size, if it is a readable PNG or JPEG."""
    if not path:
        return None
    try:
        data = Path(path).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                return None
            image.load()
            size = image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    if not size[0] or not size[1]:
        return None
    return data, size


def _creation_date(edition: Edition) -> _dt.datetime:
    guide = edition.guide
    day = guide.published or guide.updated or _dt.date(2000, 1, 1)
    return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc)
