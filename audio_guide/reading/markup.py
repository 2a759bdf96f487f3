"""A guide's Markdown markup, found in time linear in its length: headings, explicit
section ids and inline markup (links, strong and emphasised text, code), each read
exactly as the regular expression its docstring or comment gives would read it."""

from __future__ import annotations

import re

# A heading is ^(#{1,6})[ \t]*(.*?)[ \t#]*$ and an explicit section id, written after
# the title (## Rest {#rest}), is \s*\{#([^}]*)\}$ searched in the title; both are
# found with string methods (heading, section_id): as regular expressions they
# backtrack over runs of spaces, '#' or '{#', which a hostile line makes quadratic.
_SECTION_ID = re.compile(r"\s*\{#([^}]*)\}$")  # matched at one place only, found by section_id

# Inline markup, removed in this order: links \[([^\]]+)\]\([^)]*\) -> text (links),
# (\*\*|__)(.+?)\1 -> strong text, emphasis (?<![\w*])\*(?!\s)(.+?)(?<!\s)\* -> text
# (emphasis) and `code`. Links and emphasis are scanned by hand with the same
# meaning: as expressions, every '[' or ' *a' would rescan the rest of the paragraph
# for a closing ']', ')' or '*' (80 KB of '[' took 24 s). Strong text needs no
# care: an opener without a closer can only be the last one of its kind.
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_OPENER = re.compile(r"(?<![\w*])\*(?!\s)")
_CLOSER = re.compile(r"(?<!\s)\*")
_CODE = re.compile(r"`([^`]*)`")


def heading(line: str) -> tuple[int, str] | None:
    """(level, title) of a heading line, as ^(#{1,6})[ \\t]*(.*?)[ \\t#]*$ matches it."""
    level = min(6, len(line) - len(line.lstrip("#")))
    return (level, line[level:].lstrip(" \t").rstrip(" \t#")) if level else None


def section_id(title: str) -> re.Match | None:
    """_SECTION_ID.search(title): the leftmost '{#' with no '}' between it and the
    closing '}' (with the spaces before it) is the only place a match can start."""
    end = len(title) - 1 - title.endswith("\n")  # $ also matches before a last line break
    if title[end:end + 1] != "}" or (opener := title.find("{#", title.rfind("}", 0, end) + 1, end)) < 0:
        return None
    return _SECTION_ID.match(title, len(title[:opener].rstrip()))


def links(text: str) -> str:
    """Replace [text](url) with text, as re.sub(r"\\[([^\\]]+)\\]\\([^)]*\\)", r"\\1") does.
    The first ']' after a '[' and the first ')' after a '](' are the only ones a match
    can use, and they only move forward: each is searched for once, not once per '['."""
    out, done, bracket, paren = [], 0, -1, -1
    start = text.find("[")
    while start >= 0:
        if bracket <= start:
            bracket = text.find("]", start + 1)
            if bracket < 0:
                break  # no ']' after this '[', so after no later one either
        if bracket > start + 1 and text.startswith("(", bracket + 1):
            if paren < bracket + 2:
                paren = text.find(")", bracket + 2)
                if paren < 0:
                    break
            out += [text[done:start], text[start + 1:bracket]]
            done = paren + 1
            start = text.find("[", done)
        else:
            start = text.find("[", start + 1)
    return "".join(out) + text[done:]


def emphasis(text: str) -> str:
    """Replace *text* with text, as re.sub(r"(?<![\\w*])\\*(?!\\s)(.+?)(?<!\\s)\\*", r"\\1")
    does: an opener's closer is the first after the next character, unless a line
    break comes first; closers and line breaks are each searched for once."""
    out, done, closer, newline = [], 0, None, -1
    for opener in _OPENER.finditer(text):
        start = opener.start()
        if start < done:
            continue  # inside the emphasis just removed
        if closer is None or closer.start() < start + 2:
            closer = _CLOSER.search(text, start + 2)
            if closer is None:
                break
        if newline < start + 1:
            newline = text.find("\n", start + 1) % (len(text) + 1)  # none: past the end
        if newline < closer.start():
            continue
        out += [text[done:start], text[start + 1:closer.start()]]
        done = closer.end()
    return "".join(out) + text[done:]


def inline(text: str) -> str:
    """text without its inline markup and with its backslash escapes resolved."""
    text = emphasis(_STRONG.sub(r"\2", links(text)))
    text = _CODE.sub(r"\1", text)
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!])", r"\1", text)
