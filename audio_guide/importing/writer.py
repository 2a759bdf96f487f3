"""A Document becomes guide.md: the title and levels decided, the Markdown
written so the reader gets back exactly the document's words, and the review
list the editor reads before building.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AudioGuideError, ContentError
from ..reading.guides import GUIDE_FILE, INTRODUCTION_TITLE, read_guide
from .document import Document, Part

_FUNCTION_WORDS = {"a", "an", "the", "of", "from", "to", "and", "or", "is", "are", "in", "on", "for", "with", "by",
                   "as", "at", "that", "this", "your", "you", "it", "be", "can"}


@dataclass
class _Section:
    title: str | None  # None: the introduction, which the reader names
    synthetic: bool = False  # a title the import made up (the closing's)
    id: str | None = None
    parts: list[Part] = field(default_factory=list)  # chapter headings (level 2) and blocks


@dataclass
class Plan:
    """What will be written, and what the editor is told about it."""

    name: str
    text: str
    title: str
    sections: list[str]
    words: int
    guessed: list[str]  # what the import decided that the document did not say
    pictures: list[str]  # what cannot be heard: each picture and its alt text
    notes: list[str]  # what else the editor should know
    check: list[str]  # what to check before building


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].rstrip("-")


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _escape(text: str, block: bool = True) -> str:
    """Text the reader gives back as written: its markup characters escaped,
    and (in a paragraph or item) nothing at its start that would make it a
    heading or an item."""
    text = re.sub(r"([\\`*_\[\]])", r"\\\1", text)
    if not block:
        return text
    text = re.sub(r"^([#+-])", r"\\\1", text)
    return re.sub(r"^(\d{1,9})([.)])", r"\1\\\2", text)


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _closing_title(text: str) -> str:
    """A title for the untitled closing, in its own first words."""
    first = text.split()[:5]
    while len(first) > 1 and first[-1].lower().strip(",;:.") in _FUNCTION_WORDS:
        first.pop()
    title = " ".join(first).rstrip(",;:.")
    return title[:1].upper() + title[1:]


def _title(doc: Document, parts: list[Part]) -> tuple[str, str, list[Part]]:
    """(title, where it came from, the body without it)."""
    for i, part in enumerate(parts):
        if part.kind == "heading" and part.level == 0:
            return part.text, f"the document's title ({part.where})", parts[:i] + parts[i + 1:]
    if doc.title:
        return doc.title, doc.title_source, parts
    for i, part in enumerate(parts):
        if part.kind == "heading":
            return part.text, f"its first heading ({part.where})", parts[:i] + parts[i + 1:]
    return doc.source.stem.replace("-", " ").replace("_", " ").strip() or "Guide", "the file's name", parts


def _sections(parts: list[Part], notes: list[str]) -> list[_Section]:
    levels = sorted({max(p.level, 1) for p in parts if p.kind == "heading"})
    if len(levels) > 2:
        notes.append("the headings have more than two levels: the third and deeper became chapters like the second")
    rank = {level: (2 if i == 0 else 3) for i, level in enumerate(levels)}
    marked = [(p, rank[max(p.level, 1)] if p.kind == "heading" else 0) for p in parts]
    # A heading with no text under it cannot be an episode or chapter: it is kept as a paragraph.
    kept = []
    for i, (part, depth) in enumerate(marked):
        following = marked[i + 1][1] if i + 1 < len(marked) else 2
        if depth and not (following == 0 or following > depth):
            notes.append(f"the heading '{part.text}' ({part.where}) has no text under it, so it is kept as a "
                         "paragraph: add its text, or remove it")
            kept.append((Part("paragraph", part.text, where=part.where), 0))
        else:
            kept.append((part, depth))
    sections: list[_Section] = []
    for part, depth in kept:
        if depth == 3 and not sections:
            depth = 2  # a chapter before any section opens one
        if depth == 2:
            sections.append(_Section(part.text))
        elif part.new_section and sections:
            sections.append(_Section(_closing_title(part.text), synthetic=True, parts=[part]))
        else:
            if not sections:
                sections.append(_Section(None))
            sections[-1].parts.append(part if depth == 0 else Part("heading", part.text, 2, where=part.where))
    seen = {"introduction"} if sections and sections[0].title is None else set()
    for section in sections:
        if section.title is None:
            continue
        slug = slugify(section.title)
        if slug in seen:
            n = 2
            while f"{slug}-{n}" in seen:
                n += 1
            section.id = slug = f"{slug}-{n}"
        seen.add(slug)
    return sections


def _body(sections: list[_Section]) -> str:
    out: list[str] = []
    for section in sections:
        if section.title is not None:
            out.append(f"## {_escape(section.title, block=False)}" + (f" {{#{section.id}}}" if section.id else ""))
        number = 0
        for part in section.parts:
            if part.kind == "heading":
                out.append(f"### {_escape(part.text, block=False)}")
            elif part.kind == "item":
                number = number + 1 if part.numbered else 0
                out.append(f"{number}. {_escape(part.text)}" if part.numbered else f"- {_escape(part.text)}")
                continue
            else:
                out.append(_escape(part.text))
            number = 0
    # Blank lines between every block; consecutive items stay one list.
    lines: list[str] = []
    for line in out:
        item = bool(re.match(r"^(- |\d+\. )", line))
        if lines and not (item and re.match(r"^(- |\d+\. )", lines[-1])):
            lines.append("")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _front_matter(doc: Document, title: str, language: str) -> str:
    meta = [("title", _quoted(title))]
    if doc.subtitle:
        meta.append(("subtitle", _quoted(doc.subtitle)))
    if doc.author:
        meta.append(("author", _quoted(doc.author)))
    meta.append(("language", language))
    if doc.description:
        meta.append(("description", _quoted(doc.description)))
    if doc.keywords:
        meta.append(("keywords", "[" + ", ".join(_quoted(k) for k in doc.keywords) + "]"))
    if doc.published:
        meta.append(("published", doc.published.isoformat()))
    if doc.updated and doc.updated != doc.published:
        meta.append(("updated", doc.updated.isoformat()))
    lines = ["---", *(f"{key}: {value}" for key, value in meta)]
    if not doc.description:
        lines.append('# description: "One or two sentences for podcast apps."')
    lines.append('# license: "All rights reserved"   (who may copy the leaflet: check before building)')
    if not doc.published:
        lines.append("# published: YYYY-MM-DD   (without it, the first build dates the guide)")
    return "\n".join(lines + ["---", ""]) + "\n"


def _heard(guide, sections: list[_Section]) -> list[str]:
    """The words of a guide as read back, less the titles the import made up."""
    found = words(guide.title) + words(guide.subtitle or "")
    for section, planned in zip(guide.sections, sections):
        if planned.title is not None and not planned.synthetic:
            found += words(section.title)
        for chapter in section.chapters:
            found += words(chapter.title or "")
            for block in chapter.blocks:
                for sentence in block.sentences:
                    found += words(sentence.text)
    return found


def _verify(doc: Document, name: str, text: str, sections: list[_Section] | None, title: str,
            body: list[Part]) -> None:
    """Read the guide back as a build will, and prove it holds the document's
    words in the document's order."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / name / GUIDE_FILE
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        try:
            guide = read_guide(path)
        except ContentError as exc:
            raise ContentError(doc.source, None, f"the imported guide would not build ({exc.message}): fix that "
                               "in the document, or import it and correct guide.md by hand") from None
    if sections is None:
        return
    expected = words(title) + words(doc.subtitle or "") + [w for p in body for w in words(p.text)]
    heard = _heard(guide, sections)
    if heard != expected:
        at = next((i for i, (a, b) in enumerate(zip(heard, expected)) if a != b), min(len(heard), len(expected)))
        raise AudioGuideError(f"{doc.source}: the imported guide does not hold the document's words as written "
                              f"(they differ at word {at + 1}): nothing was written; please report this with the "
                              "document")


def plan(doc: Document, name: str | None) -> Plan:
    notes: list[str] = []
    title, source, parts = _title(doc, doc.parts)
    language = doc.language or "en"
    review = [f"title: '{title}', from {source}"]
    if doc.markdown is not None:
        sections, front = None, _front_matter(doc, title, language)
        text = doc.markdown if doc.markdown.startswith("---") else front + doc.markdown
        titles = [p.text for p in parts if p.kind == "heading" and p.level <= 1]
    else:
        sections = _sections(parts, notes)
        text = _front_matter(doc, title, language) + _body(sections)
        titles = [s.title or INTRODUCTION_TITLE for s in sections]
        for s in sections:
            if s.synthetic:
                review.append(f"the closing text had no heading: its section is called '{s.title}', from its first "
                              "words: rename it if you like (the title is heard)")
    name = name or slugify(title) or "guide"
    review.append("sections begin at: " + "; ".join(f"'{t}'" for t in titles))
    review.append(f"language: {language}" + ("" if doc.language else " (the document does not say: if it is "
                                                                      "not English, change 'language')"))
    review += doc.guesses
    _verify(doc, name, text, sections, title, parts)
    body_words = sum(len(words(p.text)) for p in doc.parts)
    pictures = [f"{where}: " + (f"'{alt}'" if alt else "no alt text") for where, alt in doc.images]
    return Plan(name, text, title, titles, body_words, review, pictures, notes + doc.notes, _checklist(doc))


def _checklist(doc: Document) -> list[str]:
    check = ["license: a document does not say who may copy it: add 'license: ...' (for example \"All rights "
             "reserved\", or a Creative Commons licence)"]
    if doc.description:
        check.append(f"description: taken from the document ('{doc.description}'): check it suits podcast apps")
    else:
        check.append("description: none in the document: add one or two sentences for podcast apps")
    if doc.published:
        check.append(f"published: {doc.published.isoformat()}, the date the document was created: make it the "
                     "leaflet's publication date")
    else:
        check.append("published: none in the document: add 'published: YYYY-MM-DD' (else the first build dates it)")
    return check
