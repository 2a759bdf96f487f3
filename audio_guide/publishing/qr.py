"""The QR code that opens a guide's listening page: the same symbol printed
on the handout and published beside the page as files (``qr.png`` for the
web, ``qr.svg`` for printing elsewhere at any size).

Error correction M (segno raises it when that costs no extra size) and a
quiet zone of 4 modules. The SVG's title and description, which a screen
reader announces, are in the guide's language (phrases.py).
"""

from __future__ import annotations

import io
import math

import segno

from .. import phrases
from ..model import Edition

BORDER = 4              # quiet zone, in modules
ERROR = "m"
PNG_MIN_PX = 600
SVG_SCALE = 10          # px per module in the SVG's nominal size


def page_url(edition: Edition) -> str:
    """The listening page: the guide's folder, whose index.html it is."""
    return edition.url("")


def make(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR, micro=False, boost_error=True)


def qr_png(url: str) -> bytes:
    """The QR code for ``url`` as a black-on-white PNG at least 600 px wide."""
    code = make(url)
    side = code.symbol_size(scale=1, border=BORDER)[0]
    out = io.BytesIO()
    code.save(out, kind="png", scale=math.ceil(PNG_MIN_PX / side), border=BORDER, dark="#000", light="#fff")
    return out.getvalue()


def qr_svg(url: str, language: str) -> str:
    """The QR code for ``url`` as a standalone SVG with a <title> and <desc>
    in ``language`` (a BCP 47 tag)."""
    code = make(url)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=SVG_SCALE, border=BORDER, dark="#000", light="#fff", xmldecl=True,
              title=phrases.text(language, "qr_title", url=url), desc=phrases.text(language, "qr_desc", url=url),
              encoding="utf-8")
    svg = out.getvalue().decode("utf-8")
    # A viewBox as well as the size, so that a page can scale it with CSS.
    side = code.symbol_size(scale=SVG_SCALE, border=BORDER)[0]
    return svg.replace("<svg ", f'<svg viewBox="0 0 {side} {side}" ', 1)
