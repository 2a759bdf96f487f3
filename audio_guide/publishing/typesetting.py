"""The handout's fonts, and its text made fit to print: what the fonts can
draw, and where a web address may break over lines.

Fonts are embedded (subset) from the ``pymupdf-fonts`` wheel (SIL Open Font
Licence 1.1, which allows embedding in documents): FiraGO, a humanist sans
serif designed for legibility that covers Latin, Greek, Cyrillic, Hebrew,
Arabic, Thai, Georgian and Devanagari; and Cascadia Mono for addresses,
whose 0/O and 1/l/I are unmistakable. No bundled font draws emoji or
pictographs: those (and the joiners and variation selectors that go with
them) are left out of the printed text, and any other character the fonts
lack is printed as "?".

Addresses are wrapped where a reader expects a break: after a "/", else
before a "." or "-", and only as a last resort inside a word.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pymupdf_fonts
from fontTools.ttLib import TTFont

SANS, MONO = "FiraGO", "CascadiaMono"
_FONT_FILES = {  # (family, style): (file name, pymupdf_fonts code)
    (SANS, ""): ("FiraGO-Regular.ttf", "figo"),
    (SANS, "B"): ("FiraGO-Bold.ttf", "figbo"),
    (MONO, "B"): ("CascadiaMono-Bold.ttf", "cascadiab"),
}


@functools.lru_cache(maxsize=None)
def _font_bytes(code: str) -> bytes:
    return pymupdf_fonts.myfont(code)


def font_bytes(family: str, style: str = "") -> tuple[str, bytes]:
    """The file name and bytes of one of the fonts (the cover draws with FiraGO too)."""
    file_name, code = _FONT_FILES[(family, style)]
    return file_name, _font_bytes(code)


@functools.lru_cache(maxsize=None)
def _coverage(family: str) -> frozenset[int]:
    """Every character the family's fonts all draw."""
    maps = [TTFont(io.BytesIO(_font_bytes(code)), lazy=True).getBestCmap()
            for (name, _), (_, code) in _FONT_FILES.items() if name == family]
    return frozenset.intersection(*(frozenset(m) for m in maps))


def write_fonts(folder: Path) -> dict[tuple[str, str], Path]:
    """The fonts as files in ``folder``, which is how fpdf2 takes them, by
    (family, style)."""
    paths = {}
    for key, (file_name, code) in _FONT_FILES.items():
        paths[key] = folder / file_name
        paths[key].write_bytes(_font_bytes(code))
    return paths


_SPACES = re.compile(r"\s+")
_DROP = frozenset(("So", "Sk", "Cf", "Mn", "Me", "Co", "Cn", "Cc", "Cs"))
_JOINERS = frozenset("\u200d\u20e3") | frozenset(map(chr, range(0xFE00, 0xFE10)))


def printable(text: str, family: str = SANS) -> str:
    """``text`` as the handout prints it in ``family``: what the font cannot
    draw is left out when it is a pictograph, emoji or a mark or format
    character (with the joiners and variation selectors that go with it),
    and shown as "?" otherwise (a letter of a script the font lacks)."""
    covered = _coverage(family)
    chars = list(unicodedata.normalize("NFC", text))
    kept: list[str | None] = []  # None: left out
    for ch in chars:
        if ch.isspace():
            kept.append(" ")
        elif ord(ch) in covered:
            kept.append(ch)
        elif unicodedata.category(ch) in _DROP:
            kept.append(None)
        else:
            kept.append("?")
    for i, ch in enumerate(chars):  # a joiner next to something left out goes too
        if ch in _JOINERS and kept[i] is not None:
            if (i and kept[i - 1] is None) or (i + 1 < len(chars) and kept[i + 1] is None):
                kept[i] = None
    return _SPACES.sub(" ", "".join(ch for ch in kept if ch is not None)).strip()


def wrap_address(address: str, fits: Callable[[str], bool]) -> list[str]:
    """``address`` in lines for which ``fits(line)`` holds, broken after a "/"
    when possible; a part between slashes too long for a line of its own is
    broken before a "." or "-", and only as a last resort inside a word."""
    lines: list[str] = []
    line = ""
    for part in re.findall(r"[^/]*/+|[^/]+", address):
        if fits(line + part):
            line += part
            continue
        if line:
            lines.append(line)
            line = ""
        if fits(part):
            line = part
            continue
        for piece in re.findall(r"[.\-]?[^.\-]+|[.\-]+", part):
            if not fits(line + piece):
                if line:
                    lines.append(line)
                line = ""
                for ch in piece:
                    if line and not fits(line + ch):
                        lines.append(line)
                        line = ""
                    line += ch
            else:
                line += piece
    if line:
        lines.append(line)
    return lines
