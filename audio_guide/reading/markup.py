"""A guide's body as CommonMark reads it (markdown-it-py), turned into what the
edition speaks: headings, paragraphs and list items, each with its line.

Only words are spoken: a link as its text, emphasis and code as plain words.
Whatever the edition cannot speak (a quotation, an image, a table, a code block,
raw HTML, a thematic break, an underlined heading, a footnote, struck-through
text, a link defined on a line of its own) stops the build at its line with how
to write it instead: read as a paragraph, it would be heard as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.common.html_blocks import block_names

from ..errors import ContentError

# An explicit section id, written after the title (## Rest {#rest}), is
# \s*\{#([^}]*)\}$ searched in the title; it is found with string methods
# (section_id): as an expression it backtracks over runs of spaces and '{#',
# which a hostile line makes quadratic.
_SECTION_ID = re.compile(r"\s*\{#([^}]*)\}$")  # matched at one place only, found by section_id


def _parser(max_nesting: int) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"maxNesting": max_nesting}).enable(["table", "strikethrough"])
    # The address of a link is never spoken, so every link counts as one (a
    # 'javascript:' one too, which CommonMark would leave as text) and none is
    # rewritten; an autolink is heard as it is written.
    md.validateLink = lambda url: True
    md.normalizeLink = md.normalizeLinkText = lambda url: url
    return md


# Blocks are parsed first, and each paragraph's inline markup only when it is
# spoken. Inline, every '[' looks ahead for its ']' through up to maxNesting
# nested '['s: 20, CommonMark's limit, makes a paragraph of '[' read some twenty
# times slower than 4 (no sentence nests links or brackets that deep).
_BLOCKS = _parser(20).disable("inline")
_INLINE = _parser(4)

# Tags named as HTML elements are markup; angle brackets round other words
# (<name>, <Now>) are text and are read as written, as they always were.
_HTML_NAMES = frozenset(block_names) | {
    "a", "abbr", "audio", "b", "bdi", "bdo", "br", "button", "canvas", "cite", "code", "data", "del", "dfn", "em",
    "embed", "font", "i", "img", "input", "ins", "kbd", "label", "mark", "math", "object", "picture", "pre", "q",
    "rp", "rt", "ruby", "s", "samp", "script", "select", "small", "source", "span", "strike", "strong", "style",
    "sub", "sup", "svg", "template", "textarea", "time", "tt", "u", "var", "video", "wbr",
}
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
# A footnote mark: [^1], [^note]. No '[' inside, so that each is looked for once.
_FOOTNOTE = re.compile(r"\[\^[^\]\[\s]+\]")
_ORDINAL_DIGITS = 3  # "1." to "999." number list items; a longer number is a year or a count

QUOTATION = "a quotation (>) cannot be heard as one: write it as a paragraph, in quotation marks"
IMAGE = "an image cannot be heard: describe it in a sentence, or remove it"
TABLE = "a table cannot be heard: write each row as a sentence or a list item"
FENCE = "a code block (```) cannot be heard: write its words as a paragraph, without the fence"
INDENTED = ("a line indented by four spaces (or a tab) is a code block, which cannot be heard: remove the indent "
            "to make it a paragraph")
BREAK = ("a thematic break (---, *** or ___) cannot be heard: start a new section with '## ' instead, or remove "
         "the line")
UNDERLINED = ("the line above is underlined with '{mark}', which makes it a heading: write it as '## Title' (a "
              "section) or '### Title' (a chapter), or leave a blank line between the two")
HTML = "raw HTML ({html}) cannot be heard: write its words as plain text, or remove it"
FOOTNOTE = ("a footnote ({mark}) cannot be heard: put the note's words in the text where they belong, and remove "
            "the mark")
FOOTNOTE_TEXT = ("a footnote ([^...]: ...) cannot be heard: put the note's words in the text where they belong, and "
                 "remove this line")
DEFINITION = ("a link defined on a line of its own ([name]: address) cannot be heard: write the link where it is "
              "used, as [its text](address), and remove this line")
NESTED = "lists nested this deeply cannot be read: indent this line less"
STRUCK = "struck-through text (~~) cannot be heard as struck through: remove it, or write it as plain words"
HEADING_IN_LIST = "a heading cannot be part of a list item: write it on a line of its own, without the list mark"
HASH = ("a line that starts with '#' is a heading only with a space after the #'s: write '## Title' (or '\\#' to "
        "begin a line of text with #)")
LONG_NUMBER = ("'{number}' at the start of a line makes a numbered list item, whose number is not heard: to say "
               "the number, write '{escaped}'")


def section_id(title: str) -> re.Match | None:
    """_SECTION_ID.search(title): the leftmost '{#' with no '}' between it and the
    closing '}' (with the spaces before it) is the only place a match can start."""
    end = len(title) - 1 - title.endswith("\n")  # $ also matches before a last line break
    if title[end:end + 1] != "}" or (opener := title.find("{#", title.rfind("}", 0, end) + 1, end)) < 0:
        return None
    return _SECTION_ID.match(title, len(title[:opener].rstrip()))


def blocks(path, lines: list[str], start: int) -> Iterator[tuple]:
    """The body (``lines`` from index ``start``) in reading order: ("heading",
    line, level, title source) and ("paragraph" or "item", line, spoken text),
    lines counted from 1 in the whole file. The first paragraph of a list item
    is the item; any later ones are paragraphs, as they sound."""
    body = lines[start:]
    tokens = _BLOCKS.parse("\n".join(body))
    covered = 0  # body lines before this one are accounted for
    items = 0  # list items open
    opens_item = False  # the next paragraph is the first of a list item
    for index, token in enumerate(tokens):
        kind = token.type
        if token.map is None or kind == "inline" or kind.endswith("_close"):
            if kind == "list_item_close":
                items -= 1
                opens_item = False
            continue
        first, end = token.map
        _account(path, body, start, covered, first)
        line = start + first + 1
        if kind == "list_item_open":
            covered = max(covered, first + 1)
            items += 1
            if len(token.info) > _ORDINAL_DIGITS:
                raise ContentError(path, line, LONG_NUMBER.format(number=token.info + token.markup,
                                                                  escaped=token.info + "\\" + token.markup))
            if tokens[index + 1].type == "list_item_close":
                yield "item", line, ""  # "- " alone: refused as an item without words
            opens_item = True
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            continue
        covered = max(covered, end)
        if kind == "heading_open":
            if token.markup in ("=", "-"):
                raise ContentError(path, start + end, UNDERLINED.format(mark=token.markup * 3))
            if items:
                raise ContentError(path, line, HEADING_IN_LIST)
            yield "heading", line, int(token.tag[1]), tokens[index + 1].content
        elif kind == "paragraph_open":
            source = tokens[index + 1].content
            for offset, text in enumerate(source.split("\n")):
                if text.lstrip().startswith("#"):
                    raise ContentError(path, line + offset, HASH)
            yield "item" if opens_item else "paragraph", line, inline(path, line, source)
            opens_item = False
        elif kind == "html_block" and not _is_html(token.content):
            yield "item" if opens_item else "paragraph", line, inline(path, line, token.content.strip())
            opens_item = False
        else:
            raise ContentError(path, line, _refusal(token))
    _account(path, body, start, covered, len(body))


def _refusal(token) -> str:
    if token.type == "html_block":
        return HTML.format(html=_shown(token.content))
    return {"blockquote_open": QUOTATION, "table_open": TABLE, "fence": FENCE, "code_block": INDENTED,
            "hr": BREAK}[token.type]


def _account(path, body, start, covered, until) -> None:
    """Refuse the first line from ``covered`` to ``until`` that holds words no
    token holds: a link or footnote defined on a line of its own (CommonMark
    reads it silently), or text nested past the parser's limit (it drops it)."""
    for number in range(covered, until):
        text = body[number].strip()
        if text:
            message = FOOTNOTE_TEXT if text.startswith("[^") else DEFINITION if text.startswith("[") else NESTED
            raise ContentError(path, start + number + 1, message)


def inline(path, line: int, source: str) -> str:
    """The words of ``source`` (a paragraph, item or heading title starting on
    ``line``) as they are spoken."""
    mark = _FOOTNOTE.search(source)
    if mark:
        raise ContentError(path, line + source.count("\n", 0, mark.start()), FOOTNOTE.format(mark=mark.group()))
    words = []
    for token in _INLINE.parseInline(source)[0].children or ():
        kind = token.type
        if kind in ("text", "text_special", "code_inline"):
            words.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            words.append(" ")
            line += 1
        elif kind == "html_inline":
            if _is_html(token.content):
                raise ContentError(path, line, HTML.format(html=_shown(token.content)))
            words.append(token.content)
            line += token.content.count("\n")
        elif kind == "image":
            raise ContentError(path, line, IMAGE)
        elif kind == "s_open":
            raise ContentError(path, line, STRUCK)
    return "".join(words)


def _is_html(markup: str) -> bool:
    """Whether ``markup`` (raw HTML to CommonMark) is HTML to a writer too: a
    comment, declaration or processing instruction, or a tag an element is named."""
    if markup.startswith(("<!", "<?")):
        return True
    name = _TAG_NAME.match(markup)
    return bool(name) and name.group(1).lower() in _HTML_NAMES


def _shown(markup: str) -> str:
    text = " ".join(markup.split())
    return text if len(text) <= 30 else text[:29] + "…"
