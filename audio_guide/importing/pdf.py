"""PDFs with a text layer, read with pdfminer.six (MIT).

pdfminer's layout analysis gives text lines grouped into boxes in reading
order (a column is read to its end before the next). Here the lines become
the leaflet: headings are told by their size and weight against the body
text's, the running headers, footers and page numbers are dropped, and words
broken at a line's end are joined again.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import AudioGuideError
from .document import Document, Part, clean, need, read_bytes, refuse, to_date, to_language

MAX_PAGES = 300
# Running headers and footers sit in the top and bottom tenth of a page.
_BAND = 0.1
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-\u2013]\s*\d{1,4}\s*[-\u2013]$", re.I)
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ITEM = re.compile(r"^(?:[\u2022\u00b7\u25aa\u25cf*\u2013-]|(\d{1,3})[.)])\s+(.*)$")
_HEADING_WORDS = 15
_GUTTER = 10  # points: the narrowest space between columns
_SCAN = ("has no text layer (it is a scanned image of the pages), so there are no words to import: import the "
         "Word document it was made from, or run it through text recognition (OCR) first")


@dataclass
class _Line:
    text: str
    size: float
    bold: bool
    page: int
    box: int
    top: float  # distance from the page's top
    bottom: float
    height: float  # the page's


def _lines_of(layout, page: int, first_box: int, lines: list, images: list) -> int:
    from pdfminer.layout import LTChar, LTFigure, LTImage, LTTextBox

    box = first_box
    # Only text is put in order: a background picture or a frame drawn
    # round the page would otherwise hide the gutter between columns.
    texts = [e for e in layout if isinstance(e, LTTextBox)]
    stack = _reading_order(texts) + [e for e in layout if not isinstance(e, LTTextBox)]
    while stack:
        element = stack.pop(0)
        if isinstance(element, LTTextBox):
            box += 1
            for line in element:
                chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                text = line.get_text().strip()
                if not chars or not text:
                    continue
                sizes = Counter(round(c.size, 1) for c in chars)
                bold = sum(bool(_BOLD.search(c.fontname)) for c in chars) >= 0.8 * len(chars)
                lines.append(_Line(text, sizes.most_common(1)[0][0], bold, page, box, layout.y1 - line.y1,
                                   layout.y1 - line.y0, layout.height))
        elif isinstance(element, LTImage):
            images.append((f"page {page}", ""))
        elif isinstance(element, LTFigure):
            stack[:0] = list(element)
    return box


def _gaps(items, low: str, high: str) -> list[tuple[float, float]]:
    """(width, middle) of each empty stretch between the items along one axis."""
    spans = sorted((getattr(i, low), getattr(i, high)) for i in items)
    gaps, reach = [], spans[0][1]
    for start, end in spans[1:]:
        if start > reach:
            gaps.append((start - reach, (start + reach) / 2))
        reach = max(reach, end)
    return gaps


def _reading_order(items: list) -> list:
    """The page's boxes in reading order, by cutting it at its widest empty
    band again and again (an XY-cut): a gutter between columns is wider than
    the space between paragraphs, so a column is read to its end before the
    next, and what spans the page is read where it stands."""
    if len(items) < 2:
        return items
    across = [(w, m, "y") for w, m in _gaps(items, "y0", "y1")]
    down = [(w, m, "x") for w, m in _gaps(items, "x0", "x1") if w >= _GUTTER]
    if not across and not down:
        return sorted(items, key=lambda i: (-i.y1, i.x0))
    _, cut, axis = max(across + down)
    if axis == "y":
        first = [i for i in items if i.y0 >= cut]
        rest = [i for i in items if i.y0 < cut]
    else:
        first = [i for i in items if i.x1 <= cut]
        rest = [i for i in items if i.x1 > cut]
    return _reading_order(first) + _reading_order(rest)


def _furniture(lines: list[_Line], pages: int) -> set[int]:
    """Indexes of the running headers, footers and page numbers."""
    def in_band(line):
        return line.top < _BAND * line.height or line.bottom > (1 - _BAND) * line.height

    def key(line):
        return re.sub(r"\d+", "#", line.text.lower())

    repeats = Counter()
    for page_key in {(line.page, key(line)) for line in lines if in_band(line)}:
        repeats[page_key[1]] += 1
    return {i for i, line in enumerate(lines) if in_band(line)
            and (_PAGE_NUMBER.match(line.text) or (pages > 1 and repeats[key(line)] >= 2))}


def _join(lines: list[str], hyphenated: set[str]) -> str:
    """Lines of one paragraph as one, words broken at a line's end made whole
    (unless the document writes that word with its hyphen elsewhere)."""
    text = ""
    for line in lines:
        broken = re.search(r"(\w+)-$", text)
        if broken and line[:1].islower():
            word = line.split()[0] if line.split() else ""
            keep = f"{broken.group(1)}-{word}".lower().rstrip(".,;:!?") in hyphenated
            text = (text if keep else text[:-1]) + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _continues(before: str, after: str) -> bool:
    """Whether a paragraph goes on past a gap (a page or column break, a
    picture): it stopped mid-word or mid-sentence and goes on in lower case."""
    return after[:1].islower() and (re.search(r"\w-$", before) is not None or before[-1:] not in ".!?:")


def _decode(value) -> str:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    value = resolve1(value)
    if isinstance(value, bytes):
        return clean(decode_text(value))
    return clean(str(value)) if isinstance(value, str) else ""


def _open(path: Path, raw: bytes):
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser, PDFSyntaxError

    if not raw.lstrip()[:5] == b"%PDF-":
        raise refuse(path, "is not a PDF (it does not start as one): export the leaflet as PDF again, or give the "
                     "Word document")
    try:
        document = PDFDocument(PDFParser(io.BytesIO(raw)))
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise refuse(path, "is encrypted (it needs a password to open), so its text cannot be read: save an "
                     "unprotected copy, or give the Word document it was made from") from None
    except (PDFSyntaxError, Exception):  # noqa: BLE001 - a broken PDF fails in many ways inside pdfminer
        raise refuse(path, "is damaged (it cannot be read as a PDF): export the leaflet as PDF again, or give the "
                     "Word document") from None
    if not document.is_extractable:
        raise refuse(path, "is encrypted so that its text may not be copied out: save an unprotected copy, or give "
                     "the Word document it was made from")
    return document


def read_pdf(path: Path) -> Document:
    raw = read_bytes(path)
    need("pdfminer", "pdfminer.six", "PDFs")
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    document = _open(path, raw)
    doc = Document(path)
    device = PDFPageAggregator(PDFResourceManager(), laparams=LAParams())
    interpreter = PDFPageInterpreter(device.rsrcmgr, device)
    lines: list[_Line] = []
    box = pages = 0
    try:
        for pages, page in enumerate(PDFPage.create_pages(document), start=1):
            if pages > MAX_PAGES:
                raise refuse(path, f"has more than {MAX_PAGES} pages, more than a leaflet: give the leaflet alone")
            interpreter.process_page(page)
            box = _lines_of(device.get_result(), pages, box, lines, doc.images)
    except AudioGuideError:
        raise
    except Exception:  # noqa: BLE001 - as in _open
        raise refuse(path, "is damaged (a page cannot be read): export the leaflet as PDF again, or give the Word "
                     "document") from None
    if not pages:
        raise refuse(path, "is damaged (it has no pages that can be read): export the leaflet as PDF again, or give "
                     "the Word document")
    if not lines:
        raise refuse(path, _SCAN)
    dropped = _furniture(lines, pages)
    if dropped:
        doc.notes.append(f"{len(dropped)} lines of running headers, footers and page numbers were left out")
    kept = [line for i, line in enumerate(lines) if i not in dropped]
    _parts(kept, doc)
    _properties(document, doc)
    doc.guesses.append("headings were told from the body text by their size and weight: check each section and "
                       "chapter begins where the leaflet's does")
    if doc.images:
        doc.notes.append("a PDF does not say what its pictures show: look at each page listed under Pictures")
    return doc


def _parts(lines: list[_Line], doc: Document) -> None:
    sizes = Counter()
    for line in lines:
        sizes[line.size] += len(line.text)
    body = sizes.most_common(1)[0][0]

    def heading(line):
        return ((line.size >= body + 1 or (line.bold and line.size >= body - 0.5))
                and len(line.text.split()) <= _HEADING_WORDS and line.text[-1:] not in ".,;")

    styles = sorted({(line.size, line.bold) for line in lines if heading(line)}, reverse=True)
    hyphenated = {w.lower() for line in lines for w in re.findall(r"\w+-\w+", line.text)}
    groups: list[tuple[str, int, bool, list[_Line]]] = []  # kind, level, numbered, lines
    for line in lines:
        prev = groups[-1] if groups else None
        last = prev[3][-1] if prev else None
        gap = last is not None and (line.box != last.box or line.page != last.page
                                    or line.top - last.bottom > 0.7 * line.size)
        if heading(line):
            style = (line.size, line.bold)
            if prev and prev[0] == "heading" and not gap and (last.size, last.bold) == style:
                prev[3].append(line)
            else:
                groups.append(("heading", styles.index(style), False, [line]))
            continue
        item = _ITEM.match(line.text)
        if item:
            groups.append(("item", 0, bool(item.group(1)), [_Line(item.group(2), line.size, line.bold, line.page,
                                                                  line.box, line.top, line.bottom, line.height)]))
        elif prev and prev[0] != "heading" and (not gap or _continues(last.text, line.text)):
            prev[3].append(line)
        else:
            groups.append(("paragraph", 0, False, [line]))
    first = next((g for g in groups if g[0] == "heading"), None)
    for kind, rank, numbered, group in groups:
        text = clean(_join([line.text for line in group], hyphenated))
        level = 0 if group is (first[3] if first else None) and rank == 0 else rank + 1
        doc.parts.append(Part(kind, text, level if kind == "heading" else 0, numbered=numbered,
                              where=f"page {group[0].page}"))


def _properties(document, doc: Document) -> None:
    info = document.info[0] if document.info else {}
    title = _decode(info.get("Title"))
    doc.title = title or None
    doc.author = _decode(info.get("Author")) or None
    doc.description = _decode(info.get("Subject")) or None
    doc.keywords = [k for k in (clean(w) for w in re.split(r"[,;]", _decode(info.get("Keywords")))) if k]
    doc.published = to_date(_decode(info.get("CreationDate")))
    doc.updated = to_date(_decode(info.get("ModDate")))
    doc.language = to_language(_decode(document.catalog.get("Lang")))
