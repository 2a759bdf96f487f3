"""Read content/: YAML front matter + Markdown (CommonMark, markup.py) -> model.Guide.

A guide is what it needs and nothing more: ``##`` sections (one episode
each), ``###`` chapters, paragraphs and list items. Text before the first
``##`` is the introduction. Every error names the file and line and says
how to fix it; the reader never guesses.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import unicodedata
from pathlib import Path

import yaml

from ..errors import ContentError
from . import markup
from ..model import DEFAULT_PACING, PACING, Block, Chapter, Guide, Pauses, Section, Sentence, Voice

GUIDE_FILE = "guide.md"
# A translation beside guide.md: guide.es.md, guide.pt-BR.md. Each is an
# edition of its own, in output/<guide>-<language>/.
_TRANSLATION_FILE = re.compile(r"^guide\.([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\.md$")
INTRODUCTION_TITLE = "Introduction"

_KEYS = {
    "title": "the guide's title (required)",
    "subtitle": "a line under the title",
    "author": "who wrote the guide",
    "publisher": "who publishes this edition",
    "language": "language tag, for example en or en-GB",
    "description": "one or two sentences for podcast apps",
    "license": "licence name or URL",
    "copyright": "copyright line",
    "keywords": "a list of words",
    "published": "first publication date, YYYY-MM-DD",
    "updated": "date of the latest revision, YYYY-MM-DD (new sections are dated with it)",
    "cover": "cover image (JPEG or PNG), relative to the guide's folder",
    "engine": "speech engine: pyttsx3 (the default), espeak-ng or piper (the natural voice)",
    "voice": "speech engine voice name",
    "rate": "speaking rate in words per minute",
    "pauses": "pause lengths in milliseconds",
    "pacing": "calm (the default) or brisk: a speaking rate and pauses together",
}
_TEXT_KEYS = ("title", "subtitle", "author", "publisher", "description", "license", "copyright")
_RATE_RANGE = (80, 400)
_PAUSE_MAX_MS = 10_000
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_VALID_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# C0 and C1 control characters other than tab, the Unicode line and
# paragraph separators, lone surrogates (which YAML escapes can write) and the
# noncharacters U+FFFE and U+FFFF: invisible, and not allowed in XML feeds.
INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# A line longer than this is not prose an editor wrote (a paragraph of 3,000
# words or so); it is refused rather than spoken for an hour.
LINE_LIMIT = 20_000
# A guide longer than this (over 70 hours of speech) is not one listening: it is
# refused before it is read, so that memory and reading time stay bounded.
GUIDE_LIMIT = 4_000_000
# A sentence ends at . ! or ? (Arabic's ؟ and Urdu's ۔ too, and any closing
# quotes or brackets) followed by whitespace and something that can open a
# sentence: a capital (perhaps accented; Spanish ones may open with ¿ or ¡),
# a digit, or a letter of Hebrew or Arabic, which have no capitals.
_SENTENCE_END = re.compile(r"([.!?\u061f\u06d4][\"'”’»)\]]*)\s+"
                           r"(?=[\"'“‘«(\[¿¡]?[A-Z0-9À-ÖØ-Þ\u05d0-\u05ea\u0620-\u064a\u0671-\u06d3\u06d5])")
# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "Dr.", "Mr.", "Mrs.", "Ms.", "St.", "vs.", "approx.", "No.")


def read_guides(content_dir: str | Path) -> list[Guide]:
    """Read every guide under ``content_dir`` (one folder each, or a guide.md
    directly inside it), in name order."""
    root = Path(content_dir)
    if not root.is_dir():
        raise ContentError(root, None, "no such content folder: pass the folder that holds your guides")
    if (root / GUIDE_FILE).is_file():
        return [read_guide(f) for f in guide_files(root)]
    files = [f for p in sorted(root.iterdir()) if (p / GUIDE_FILE).is_file() for f in guide_files(p)]
    if not files:
        raise ContentError(root, None, f"no guides found: put each guide in its own folder as {GUIDE_FILE}")
    return [read_guide(f) for f in files]


def guide_files(folder: Path) -> list[Path]:
    """A guide folder's guide.md, then its translations (guide.<language>.md) in name order."""
    translations = sorted(p for p in folder.iterdir() if _TRANSLATION_FILE.match(p.name) and p.is_file())
    return [folder / GUIDE_FILE, *translations]


def file_language(path: str | Path) -> str | None:
    """The language a translation's file name gives (guide.es.md: es); None for guide.md."""
    match = _TRANSLATION_FILE.match(Path(path).name)
    return match.group(1) if match else None


def read_guide(path: str | Path) -> Guide:
    path = Path(path)
    with open(path, "rb") as file:
        raw = file.read(GUIDE_LIMIT + 1)
    if len(raw) > GUIDE_LIMIT:
        raise ContentError(path, None, f"the guide is {os.path.getsize(path):,} bytes long, over the limit of "
                           f"{GUIDE_LIMIT:,}: split it into several guides, each in a folder of its own")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw.count(b"\x00") > len(raw) // 4:
        raise ContentError(path, 1, "the file is UTF-16, not UTF-8: save it as UTF-8 in your editor")
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as some editors write
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError(
            path, line, f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x}): save it as UTF-8 in your editor"
        ) from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if len(line) > LINE_LIMIT:
            raise ContentError(path, number, f"this line is {len(line):,} characters long, over the limit of "
                               f"{LINE_LIMIT:,}: break it into paragraphs with blank lines")
        control = INVISIBLE.search(line)
        if control:
            raise ContentError(path, number, f"invisible control character U+{ord(control.group()):04X} in column "
                               f"{control.start() + 1}: delete it (it often comes from copying out of a PDF)")
    meta, meta_lines, body_start = _split_front_matter(path, lines)
    sections = _parse_body(path, lines, body_start)
    slug = _slugify(path.parent.name) or "guide"
    if file_language(path):
        slug = f"{slug}-{file_language(path).lower()}"
    return _build_guide(path, slug, meta, meta_lines, sections)


def _split_front_matter(path, lines):
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, "no front matter: start the file with a line '---', then 'title: ...', then '---'")
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            break
    else:
        raise ContentError(path, 1, "the front matter opened here is never closed: add a line '---' after its last key")
    source = "\n".join(lines[1:i])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        raise ContentError(path, line, f"front matter: {problem}; write one 'key: value' per line") from None
    except RecursionError:
        raise ContentError(path, 2, "front matter: brackets nested too deeply; write one 'key: value' "
                           "per line") from None
    if not isinstance(node, yaml.MappingNode):
        raise ContentError(path, 2, "front matter must be 'key: value' lines")
    key_lines: dict[str, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 2
        if not isinstance(key, yaml.ScalarNode) or key.value not in _KEYS:
            raise ContentError(path, line, _unknown_key(key.value if isinstance(key, yaml.ScalarNode) else "..."))
        if key.value in key_lines:
            raise ContentError(path, line, f"front matter: '{key.value}' is given twice (first on line "
                               f"{key_lines[key.value]}): keep one")
        key_lines[key.value] = line
    try:
        meta = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark else 2
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        raise ContentError(path, line, f"front matter: {problem}; write one 'key: value' per line") from None
    except (ValueError, TypeError, OverflowError, RecursionError):  # a date such as 2026-13-45
        line = next((n for n, v in ((k.start_mark.line + 2, v) for k, v in node.value)
                     if _unreadable(v)), 2)
        raise ContentError(path, line, "front matter: this value cannot be read (a date must be a real "
                           "day, written YYYY-MM-DD)") from None
    return meta, key_lines, i + 1


def _unknown_key(key) -> str:
    return f"unknown front-matter key '{key}': remove it or use one of {', '.join(_KEYS)}"


def _unreadable(node) -> bool:
    """Whether constructing ``node`` (a front-matter value) fails."""
    try:
        yaml.SafeLoader("").construct_document(node)
    except Exception:  # noqa: BLE001 - only to find the line to blame
        return True
    return False


def _build_guide(path, slug, meta, key_lines, sections) -> Guide:
    def fail(key, message):
        raise ContentError(path, key_lines.get(key, 1), message)

    for key in meta:
        if key not in _KEYS:
            fail(key, _unknown_key(key))
    for key in _TEXT_KEYS:
        if key in meta and not isinstance(meta[key], str) and not (key == "title" and meta[key] is None):
            fail(key, f"'{key}' must be text: put it in quotes")
    if not isinstance(meta.get("title"), str) or not meta["title"].strip():
        fail("title", "the guide has no title: add 'title: Your guide's title' to the front matter")
    for key, value in meta.items():
        for text in value if isinstance(value, list) else [value]:
            control = INVISIBLE.search(text) if isinstance(text, str) else None
            if control:
                fail(key, f"'{key}' holds the invisible character U+{ord(control.group()):04X}: remove it (a "
                     "YAML escape such as \\a or \\x07 writes one)")
    named = file_language(path)
    language = meta.get("language", named or "en")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        fail("language", f"'language' must be a language tag such as en or en-GB, not {language!r}")
    if named and not (language.lower() == named.lower() or language.lower().startswith(named.lower() + "-")):
        fail("language", f"'language: {language}' disagrees with the file name {path.name}, which says "
             f"'{named}': make them the same (or remove 'language' and let the file name say it)")
    keywords = meta.get("keywords", [])
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",") if k.strip()]
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        fail("keywords", "'keywords' must be a list of words, for example [grief, recovery]")
    published, updated = (_read_date(meta, key, fail) for key in ("published", "updated"))
    cover = meta.get("cover")
    if cover is not None:
        if not isinstance(cover, str) or not cover.strip():
            fail("cover", "'cover' must be the path of a JPEG or PNG image")
        if Path(cover).is_absolute() or ".." in Path(cover).parts or "\\" in cover:
            fail("cover", f"'cover' must be a path inside the guide's folder, not {cover!r}")
        if not (path.parent / cover).is_file():
            fail("cover", f"the cover image {cover!r} is not in {path.parent}: put it there or fix the path")
    voice = _read_voice(meta, fail)
    return Guide(
        slug=slug,
        path=str(path),
        title=_clean(meta["title"]),
        subtitle=_clean(meta.get("subtitle")),
        author=_clean(meta.get("author")),
        publisher=_clean(meta.get("publisher")),
        language=language,
        description=_clean(meta.get("description")),
        license=_clean(meta.get("license")),
        copyright=_clean(meta.get("copyright")),
        keywords=tuple(keywords),
        published=published,
        updated=updated,
        cover=str(path.parent / cover) if cover else None,
        voice=voice,
        sections=tuple(sections),
        key_lines=tuple(key_lines.items()),
    )


def _read_date(meta, key, fail) -> _dt.date | None:
    value = meta.get(key)
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value)
        except ValueError:
            fail(key, f"'{key}' must be a date written YYYY-MM-DD")
    if isinstance(value, _dt.datetime):
        value = value.date()
    if value is not None and not isinstance(value, _dt.date):
        fail(key, f"'{key}' must be a date written YYYY-MM-DD")
    return value


def _read_voice(meta, fail) -> Voice:
    name = meta.get("voice")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        fail("voice", "'voice' must be a voice name: run 'audio-guide voices' to list them")
    pacing = meta.get("pacing", DEFAULT_PACING)
    if not isinstance(pacing, str) or pacing not in PACING:
        fail("pacing", f"'pacing' must be one of {', '.join(PACING)}, not {pacing!r}")
    rate = meta.get("rate", PACING[pacing].rate)
    low, high = _RATE_RANGE
    if isinstance(rate, bool) or not isinstance(rate, int) or not low <= rate <= high:
        fail("rate", f"'rate' must be whole words per minute between {low} and {high}; 150 is calm")
    pauses = meta.get("pauses", {})
    if not isinstance(pauses, dict):
        fail("pauses", "'pauses' must map kinds to milliseconds, for example 'pauses: {heading: 1000}'")
    known = Pauses.__dataclass_fields__
    for kind, ms in pauses.items():
        if kind not in known:
            fail("pauses", f"unknown pause '{kind}': use any of {', '.join(known)}")
        if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= _PAUSE_MAX_MS:
            fail("pauses", f"pause '{kind}' must be whole milliseconds from 0 to {_PAUSE_MAX_MS}")
    engine = meta.get("engine")
    if engine is not None and (not isinstance(engine, str) or not re.fullmatch(r"[\w.-]+(:\w+)?", engine.strip())):
        fail("engine", "'engine' must be a speech engine's name, for example 'engine: piper'")
    given = ((("rate", rate),) if "rate" in meta else ()) + tuple(sorted(pauses.items()))
    return Voice(name=name.strip() if name else None, pacing=pacing, given=given,
                 engine=engine.strip() if engine else None).paced(pacing)


def _parse_body(path, lines, start) -> list[Section]:
    """Collect the body's sections, chapters and blocks in one pass over what
    the Markdown parser finds (markup.blocks)."""
    sections: list[dict] = []
    current: dict | None = None  # section being filled
    pending: list[tuple[str, int, str]] = []  # blocks of the open chapter

    def open_section(title, line, section_id=None):
        nonlocal current
        current = {"title": title, "line": line, "id": section_id, "chapters": [[None, line, []]]}
        sections.append(current)

    for kind, number, *content in markup.blocks(path, lines, start):
        if kind != "heading":
            pending.append((kind, number, content[0]))
            continue
        level, title = content
        explicit = markup.section_id(title) if level == 2 else None
        if explicit:
            title = title[:explicit.start()]
            if not _VALID_ID.match(explicit.group(1)):
                raise ContentError(path, number, f"section id '{explicit.group(1)}' must be lower-case "
                                   "letters and digits joined by hyphens, for example {#after-care}")
        title = _clean(markup.inline(path, number, title))
        if level not in (2, 3):
            raise ContentError(
                path, number, f"heading level {level} is not used in guides: write '## ' for a section "
                "or '### ' for a chapter (the title belongs in the front matter)"
            )
        if not title:
            raise ContentError(path, number, "this heading has no title: write the title after the #'s")
        if current is None and pending:
            open_section(INTRODUCTION_TITLE, pending[0][1])
        if current is not None:
            current["chapters"][-1][2].extend(pending)
        pending = []
        if level == 2:
            open_section(title, number, explicit.group(1) if explicit else None)
        else:
            if current is None:
                raise ContentError(path, number, "a '###' chapter must come after a '##' section heading")
            current["chapters"].append([title, number, []])
    if pending:
        if current is None:
            open_section(INTRODUCTION_TITLE, pending[0][1])
        current["chapters"][-1][2].extend(pending)
    if not sections:
        raise ContentError(path, start + 1, "the guide has no sections: write its text below the front matter, "
                           "with a '## ' heading before each section")
    return _finish_sections(path, sections)


def _finish_sections(path, raw_sections) -> list[Section]:
    result: list[Section] = []
    seen: dict[str, int] = {}
    for raw in raw_sections:
        title, line = raw["title"], raw["line"]
        slug = raw["id"] or _slugify(title) or f"section-{len(result) + 1}"
        if slug in seen:
            what = f"section id '{slug}'" if raw["id"] else f"section '{title}'"
            raise ContentError(
                path, line, f"duplicate {what} (same as the one on line {seen[slug]}): "
                "give each section its own " + ("id" if raw["id"] else "title")
            )
        seen[slug] = line
        chapters = []
        for chapter_title, chapter_line, blocks in raw["chapters"]:
            if chapter_title is None and not blocks:
                continue  # a section that goes straight into its first ###
            if not blocks:
                what = f"chapter '{chapter_title}'" if chapter_title else f"section '{title}'"
                raise ContentError(path, chapter_line, f"{what} has no text: write its text below the "
                                   "heading, or remove the heading")
            chapters.append(Chapter(chapter_title, tuple(_block(path, b) for b in blocks), chapter_line))
        if not chapters:
            raise ContentError(path, line, f"section '{title}' has no text: write its text below the "
                               "heading, or remove the heading")
        result.append(Section(title=title, id=slug, chapters=tuple(chapters), line=line))
    return result


def _block(path, raw) -> Block:
    kind, line, text = raw
    text = _clean(text)
    if not text:  # "- " alone, or only markup such as **[]()** or ` `
        what = "list item" if kind == "item" else "paragraph"
        raise ContentError(path, line, f"this {what} has no words to speak: write its text, or remove the line")
    return Block(kind, tuple(Sentence(s, line) for s in split_sentences(text)), line)


def split_sentences(text: str) -> list[str]:
    parts = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start:match.end(1)]
        if candidate.endswith(_ABBREVIATIONS):
            continue
        parts.append(candidate)
        start = match.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _clean(text):
    if text is None:
        return None
    return re.sub(r"\s+", " ", str(text)).strip()


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].rstrip("-")
