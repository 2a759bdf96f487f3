"""Web pages (.html), parsed with lxml.

Only the leaflet is taken: the page's <main> (or role="main"), else its
<article>; inside it, and on a page with neither, the site's navigation,
banners, footers, sidebars, dialogs and cookie notices are left out. A page
without <main> or <article> is read whole less those, and the review list
says so.
"""

from __future__ import annotations

import re
from pathlib import Path

from .document import Document, Part, clean, need, read_bytes, refuse, to_date, to_language

_SKIP = {"script", "style", "noscript", "template", "nav", "aside", "form", "button", "dialog", "select", "svg",
         "iframe", "object", "video", "audio", "canvas", "head", "input", "textarea", "label"}
# Landmarks that are the site's, not the leaflet's, wherever they appear.
_SITE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog", "search"}
_FURNITURE = re.compile(r"cookie|consent|gdpr|breadcrumb|skip-?link|site-?header|site-?footer|sidebar|share-?bar",
                        re.IGNORECASE)
_HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3, "h5": 4, "h6": 5}
_BLOCKS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "figure",
           "figcaption", "address", "pre", "header", "footer", "details", "summary", "hr", "body", *_HEADINGS}
# Parts of a page title after the leaflet's own name: "Rest | Riverside NHS Trust".
_TITLE_SUFFIX = re.compile(r"\s+[|\u2013\u2014-]\s+.*$")


def _decoded(raw: bytes):
    """The page as lxml should read it: as its own charset says, else as
    UTF-8 (what pages are saved as today, where lxml would guess Latin-1),
    else as Windows-1252."""
    if re.search(rb"charset\s*=", raw[:4096], re.IGNORECASE) or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _furniture(element, top: bool) -> bool:
    """Whether an element is the site's rather than the leaflet's. A <header>
    or <footer> is the site's only outside the leaflet's <main>/<article>."""
    tag = element.tag
    if tag in _SKIP or (top and tag in ("header", "footer")):
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if (element.get("role") or "").lower() in _SITE_ROLES:
        return True
    return bool(_FURNITURE.search(f"{element.get('id') or ''} {element.get('class') or ''}"))


class _Walker:
    def __init__(self, path: Path, doc: Document):
        self.path, self.doc = path, doc
        self.buffer: list[str] = []
        self.kinds: list[tuple[str, int, bool]] = [("paragraph", 0, False)]
        self.heading = None
        self.numbered: list[bool] = []

    def flush(self) -> None:
        text = clean("".join(self.buffer))
        self.buffer = []
        if not text:
            return
        kind, level, numbered = self.kinds[-1]
        where = f"after the heading '{self.heading}'" if self.heading else "at the top of the page"
        if kind == "heading":
            self.heading = text
        self.doc.parts.append(Part(kind, text, level, numbered=numbered, where=where))

    def walk(self, element, top: bool) -> None:
        tag = element.tag if isinstance(element.tag, str) else None
        if tag is None or _furniture(element, top):
            self.buffer.append(element.tail or "")  # a comment's or skipped element's tail is still text
            return
        if tag == "table":
            where = f"after the heading '{self.heading}'" if self.heading else "at the top of the leaflet"
            raise refuse(self.path, f"has a table {where}, and a table cannot be heard: rewrite it as sentences or "
                         "a list (one item per row), then import again")
        if tag == "img":
            where = f"after the heading '{self.heading}'" if self.heading else "at the top of the leaflet"
            self.doc.images.append((where, clean(element.get("alt") or "")))
        if tag == "br":
            self.buffer.append(" ")
        block = tag in _BLOCKS
        if block:
            self.flush()
            if tag in _HEADINGS:
                self.kinds.append(("heading", _HEADINGS[tag], False))
            elif tag == "li":
                self.kinds.append(("item", 0, bool(self.numbered and self.numbered[-1])))
            elif tag in ("ul", "ol"):
                self.numbered.append(tag == "ol")
                self.kinds.append(("paragraph", 0, False))
            else:
                self.kinds.append(("paragraph", 0, False))
        self.buffer.append(element.text or "")
        inner_top = top and tag not in ("main", "article")
        for child in element:
            self.walk(child, inner_top)
        if block:
            self.flush()
            self.kinds.pop()
            if tag in ("ul", "ol"):
                self.numbered.pop()
        self.buffer.append(element.tail or "")


def read_web(path: Path) -> Document:
    raw = read_bytes(path)
    html = need("lxml.html", "lxml", "web pages")
    try:
        root = html.document_fromstring(_decoded(raw))
    except Exception:  # noqa: BLE001 - lxml refuses a page with no elements in several ways
        raise refuse(path, "is not a web page lxml can read: save the page again from the browser (File, Save "
                     "Page As, HTML only)") from None
    doc = Document(path)
    content = (root.xpath("//main") or root.xpath("//*[@role='main']") or root.xpath("//article"))
    body = root.find("body")
    if content:
        container, top = content[0], False
    elif body is not None:
        container, top = body, True
        doc.guesses.append("the page has no <main> or <article>, so the leaflet is the page less its navigation, "
                           "header, footer and sidebars: check that nothing of the site's is left in it")
    else:
        raise refuse(path, "has no body: save the page again from the browser (File, Save Page As, HTML only)")
    walker = _Walker(path, doc)
    walker.kinds = [("paragraph", 0, False)]
    walker.buffer.append(container.text or "")
    for child in container:
        walker.walk(child, top)
    walker.flush()
    if not any(p.kind != "heading" for p in doc.parts):
        raise refuse(path, "has no leaflet text in it: give the saved page of the leaflet itself")
    page_title = clean(root.findtext(".//title") or "")
    if page_title:
        doc.title = clean(_TITLE_SUFFIX.sub("", page_title)) or page_title
        doc.title_source = f"the page's <title> ('{page_title}'), as the leaflet has no <h1>"
    doc.language = to_language(root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "")
    meta = {(m.get("name") or m.get("property") or m.get("http-equiv") or "").lower(): clean(m.get("content") or "")
            for m in root.iter("meta")}
    doc.language = doc.language or to_language(meta.get("content-language", ""))
    doc.author = meta.get("author") or None
    doc.description = meta.get("description") or None
    doc.keywords = [k for k in (clean(w) for w in meta.get("keywords", "").split(",")) if k]
    doc.published = to_date(meta.get("article:published_time") or meta.get("dcterms.created") or "")
    doc.updated = to_date(meta.get("article:modified_time") or meta.get("dcterms.modified") or "")
    return doc
