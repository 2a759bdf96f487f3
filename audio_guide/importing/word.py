"""Word documents (.docx), read with python-docx.

python-docx gives styles, properties and the body's elements; what it leaves
out is tracked changes (its paragraph text skips inserted runs) and content
controls (its body iterator skips them), so the body is walked here and each
paragraph's accepted text is gathered from its runs: inserted and moved-to
text kept, deleted and moved-from text left out, as Word's "Accept All"
would.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from .document import Document, Part, clean, need, read_bytes, refuse, to_date, to_language

# Zip limits against decompression bombs: a leaflet's parts are small XML
# (compressing at most some 20:1) and pictures (hardly compressing at all).
MAX_UNPACKED = 300 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 5000
_REPAIR = "open it in Word and save it again as a Word document (.docx)"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^heading (\d)$", re.IGNORECASE)
_SKIPPED_WRAPPERS = {"del", "moveFrom"}
_TEXT_WRAPPERS = {"ins", "moveTo", "sdt", "sdtContent", "customXml", "smartTag"}


def check_zip(path: Path, raw: bytes) -> None:
    """Refuse what is not a whole Word package before python-docx unpacks it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise refuse(path, f"is damaged or is not a Word document (it is not a .docx package): {_REPAIR}") from None
    if len(entries) > MAX_ENTRIES:
        raise refuse(path, f"holds {len(entries):,} files, more than a Word document does: {_REPAIR}")
    unpacked = sum(e.file_size for e in entries)
    bomb = next((e for e in entries if e.file_size > 2**20 and e.file_size > MAX_RATIO * max(e.compress_size, 1)),
                None)
    if unpacked > MAX_UNPACKED or bomb:
        raise refuse(path, f"would unpack to {unpacked / 2**20:,.0f} MB"
                     + (f" ({bomb.filename} alone unpacks to over {MAX_RATIO} times its packed size)" if bomb else "")
                     + f", which no leaflet does, so it was not opened: {_REPAIR}")
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        raise refuse(path, f"is a zip archive of something else ({shown}), not a Word document: give the leaflet's "
                     ".docx file, or " + _REPAIR)


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _accepted_runs(paragraph):
    """The paragraph's runs whose text stands once all changes are accepted,
    without those of text boxes (read as paragraphs of their own) and of a
    drawing's fallback copy."""
    runs = []
    for run in paragraph.iter(_W + "r"):
        skip = False
        node = run.getparent()
        while node is not None and node is not paragraph:
            if _local(node) in (*_SKIPPED_WRAPPERS, "txbxContent", "Fallback"):
                skip = True
                break
            node = node.getparent()
        if not skip:
            runs.append(run)
    return runs


class _Walker:
    def __init__(self, path: Path, document, doc: Document):
        from docx.text.paragraph import Paragraph

        self.path, self.document, self.doc = path, document, doc
        self.Paragraph = Paragraph
        self.count = 0
        self.heading = None  # the last heading, to say where a table is
        self.changes = self.comments = self.footnotes = False

    def walk(self, container) -> None:
        for child in container:
            name = _local(child)
            if name == "p":
                self.paragraph(child)
            elif name == "tbl":
                after = f" (after the heading '{self.heading}')" if self.heading else ""
                raise refuse(self.path, f"has a table after paragraph {self.count}{after}, and a table cannot be "
                             "heard: rewrite it as sentences or a list (one item per row), then import again")
            elif name in _SKIPPED_WRAPPERS:
                self.changes = True
            elif name in _TEXT_WRAPPERS:
                self.changes |= name in ("ins", "moveTo")
                self.walk(child)

    def paragraph(self, p) -> None:
        self.count += 1
        where = f"paragraph {self.count}"
        runs = _accepted_runs(p)
        text = clean("".join(r.text for r in runs))
        self.changes |= any(_local(e) in ("ins", "del", "moveFrom", "moveTo") for e in p.iter())
        self.comments |= any(_local(e) == "commentReference" for e in p.iter())
        self.footnotes |= any(_local(e) in ("footnoteReference", "endnoteReference") for e in p.iter())
        for drawing in p.iter("{*}docPr"):
            if not any(_local(a) == "Fallback" for a in drawing.iterancestors()):
                alt = clean(drawing.get("descr") or drawing.get("title") or "")
                self.doc.images.append((where, alt))
        if text:
            self.emit(self.Paragraph(p, self.document), text, where)
        for box in p.iter(_W + "txbxContent"):
            if not any(_local(a) == "Fallback" for a in box.iterancestors()):
                self.walk(box)

    def emit(self, paragraph, text: str, where: str) -> None:
        level, kind = _style(paragraph)
        if kind == "subtitle" and self.doc.subtitle is None:
            self.doc.subtitle = text
        elif kind == "heading":
            self.heading = text
            self.doc.parts.append(Part("heading", text, level, where=where))
        elif kind in ("item", "numbered"):
            self.doc.parts.append(Part("item", text, numbered=kind == "numbered", where=where))
        else:
            self.doc.parts.append(Part("paragraph", text, where=where))


def _style(paragraph) -> tuple[int, str]:
    """(heading level, kind) from the paragraph's style or the styles it is based on."""
    style = paragraph.style
    while style is not None:
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0, "heading"
        if name.lower() == "subtitle":
            return 0, "subtitle"
        heading = _HEADING_STYLE.match(name)
        if heading:
            return int(heading.group(1)), "heading"
        if name.lower().startswith("list number"):
            return 0, "numbered"
        if name.lower().startswith(("list bullet", "list paragraph")):
            return 0, "item"
        style = style.base_style
    p_pr = paragraph._p.pPr
    if p_pr is not None and p_pr.numPr is not None:
        return 0, _numbering_kind(paragraph)
    return 0, "paragraph"


def _numbering_kind(paragraph) -> str:
    """'numbered' for a list numbered 1, 2, 3 (or a, b, i, ii), else 'item'."""
    try:
        numbering = paragraph.part.numbering_part.element
        num_id = paragraph._p.pPr.numPr.numId.val
        level = paragraph._p.pPr.numPr.ilvl.val if paragraph._p.pPr.numPr.ilvl is not None else 0
        abstract = numbering.xpath(f"w:num[@w:numId='{int(num_id)}']/w:abstractNumId/@w:val")
        formats = numbering.xpath(f"w:abstractNum[@w:abstractNumId='{int(abstract[0])}']/w:lvl[@w:ilvl='{int(level)}']"
                                  "/w:numFmt/@w:val")
    except (AttributeError, IndexError, KeyError, NotImplementedError, ValueError, TypeError):
        return "item"
    return "item" if not formats or formats[0] in ("bullet", "none") else "numbered"


def _default_language(document) -> str | None:
    """The language Word spells the text in (the document's default run language)."""
    found = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr/w:lang/@w:val")
    return to_language(found[0]) if found else None


def read_word(path: Path) -> Document:
    raw = read_bytes(path)
    check_zip(path, raw)
    docx = need("docx", "python-docx", "Word documents")
    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception:  # noqa: BLE001 - python-docx raises many kinds for a broken package
        raise refuse(path, f"is damaged, or is not a Word document python-docx can read: {_REPAIR}") from None
    doc = Document(path)
    walker = _Walker(path, document, doc)
    walker.walk(document.element.body)
    if not doc.parts:
        raise refuse(path, "has no text: give the leaflet itself (a Word document with its words in it)")
    props = document.core_properties
    title = clean(props.title or "")
    # python-docx names a package without properties "Word Document".
    doc.title = title if title and title != "Word Document" else None
    doc.author = clean(props.author or "") or None
    doc.description = clean(props.subject or "") or None
    doc.keywords = [k for k in (clean(w) for w in re.split(r"[,;]", props.keywords or "")) if k]
    doc.published, doc.updated = to_date(props.created), to_date(props.modified)
    doc.language = to_language(props.language) or _default_language(document)
    if walker.changes:
        doc.notes.append("the document has tracked changes: the text is as if every change were accepted (deleted "
                         "text left out, inserted text kept); check it reads as the final leaflet")
    if walker.footnotes:
        doc.notes.append("the document has footnotes or endnotes: they were left out; if listeners need one, put "
                         "its words in the text")
    if walker.comments:
        doc.notes.append("the document has comments: they were left out; only the document's text was imported")
    return doc
