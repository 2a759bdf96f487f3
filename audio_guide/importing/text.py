"""Plain text and Markdown without front matter.

Plain text has the shape leaflets are typed in: a title line first
("Title: Subtitle"), blocks separated by blank lines, a heading a short
line standing alone, numbered steps one to a line, and the closing set apart
by two blank lines.
"""

from __future__ import annotations

import re
from pathlib import Path

from .document import Document, Part, clean, read_bytes, refuse

_STEP = re.compile(r"^\s*(\d{1,3})[.)]\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+\u2022\u2013]\s+(.*)$")
# "1. Seek Support: Connecting with others..." names the step before its colon.
_NAMED_STEP = re.compile(r"^([^.!?:]{1,60}):\s+(\S.*)$")
_HEADING_WORDS = 12
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")


def decode(path: Path, raw: bytes, notes: list[str]) -> str:
    """Text in UTF-8 (with or without a byte order mark), UTF-16 with one, or,
    failing those, Windows-1252: what Notepad and Word save plain text as."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            if b"\x00" in raw:
                raise refuse(path, "is not text (it holds binary data): give a .txt or .md file saved as "
                             "UTF-8") from None
            text = raw.decode("cp1252", errors="replace")
            notes.append("the file is not UTF-8, so it was read as Windows-1252: check accented letters and "
                         "quotation marks")
    if not text.strip():
        raise refuse(path, "the file holds no words: give the leaflet's text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_heading(block: list[str]) -> bool:
    if len(block) != 1:
        return False
    line = block[0].strip()
    return (len(line.split()) <= _HEADING_WORDS and line[-1:] not in ".!?,;:" and not _STEP.match(line)
            and not _BULLET.match(line))


def read_text(path: Path) -> Document:
    doc = Document(path)
    text = decode(path, read_bytes(path), doc.notes)
    blocks: list[tuple[int, int, list[str]]] = []  # (first line, blank lines before, lines)
    blank, current = 0, None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            blank += 1
            current = None
            continue
        if current is None or _STEP.match(line) or _BULLET.match(line):
            current = (number, blank, [])
            blocks.append(current)
            blank = 0
        current[2].append(line)
    first_line, _, title_lines = blocks[0]
    title = clean(" ".join(title_lines))
    name, colon, subtitle = title.partition(":")
    doc.parts.append(Part("heading", clean(name) if colon and clean(subtitle) else title, 0, where=f"line {first_line}"))
    if colon and clean(name) and clean(subtitle):
        doc.subtitle = clean(subtitle)
    seen_heading = False
    for number, blank, lines in blocks[1:]:
        where = f"line {number}"
        joined = clean(" ".join(lines))
        step, bullet = _STEP.match(lines[0]), _BULLET.match(lines[0])
        if step:
            rest = clean(" ".join([step.group(2), *lines[1:]]))
            named = _NAMED_STEP.match(rest)
            if named:
                doc.parts.append(Part("heading", f"{step.group(1)}. {clean(named.group(1))}", 2, where=where))
                doc.parts.append(Part("paragraph", named.group(2), where=where))
            else:
                doc.parts.append(Part("paragraph", f"{step.group(1)}. {rest}", where=where))
        elif bullet:
            doc.parts.append(Part("item", clean(" ".join([bullet.group(1), *lines[1:]])), where=where))
        elif _is_heading(lines):
            doc.parts.append(Part("heading", joined, 1, where=where))
            seen_heading = True
        else:
            doc.parts.append(Part("paragraph", joined, where=where, new_section=seen_heading and blank >= 2))
    if any(p.kind == "heading" and p.level == 2 for p in doc.parts):
        doc.guesses.append("a numbered step that names itself before a colon ('1. Seek Support: ...') became a "
                           "chapter with that name")
    return doc


def read_markdown(path: Path) -> Document:
    """Markdown as written; only its headings are moved: the first '#' is the
    title, and the levels below it become '##' sections and '###' chapters."""
    doc = Document(path)
    text = decode(path, read_bytes(path), doc.notes)
    lines = text.split("\n")
    if lines[0].strip() == "---":
        doc.markdown = text
        doc.notes.append("the file already has front matter: it is copied as it is")
        return doc
    headings = [(i, _MD_HEADING.match(line)) for i, line in enumerate(lines) if _MD_HEADING.match(line)]
    title_at = None
    if headings and len(headings[0][1].group(1)) == 1:
        title_at = headings[0][0]
        doc.parts.append(Part("heading", clean(headings[0][1].group(2)), 0, where=f"line {title_at + 1}"))
    levels = sorted({len(m.group(1)) for i, m in headings if i != title_at})
    shift = {level: min(2 + rank, 3) for rank, level in enumerate(levels)}
    out = []
    for i, line in enumerate(lines):
        match = _MD_HEADING.match(line)
        if i == title_at:
            continue
        if match:
            level = shift[len(match.group(1))]
            doc.parts.append(Part("heading", clean(match.group(2)), level - 1, where=f"line {i + 1}"))
            line = "#" * level + " " + match.group(2)
        out.append(line)
    if len(levels) > 2:
        doc.notes.append("the headings have more than two levels below the title: the deeper ones became '###' "
                         "chapters")
    doc.markdown = "\n".join(out).strip("\n") + "\n"
    return doc
