"""The reader takes time in proportion to a guide's size, whatever the guide
holds: markup that never closes ('[' after '[', '*' after ' ', '{#' after '{#')
once made every opener rescan the rest of its paragraph, and 80 KB kept
`check --content` busy for 24 s. Each hostile shape is read at SIZE and at
16 times SIZE and the two times compared: a ratio, not a speed target
(the Markdown parser spends far longer on a character of markup than on one
of prose, but the same time on each). The scanner that finds a section id
must also find exactly what the expression it replaced found."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from audio_guide.errors import ContentError
from audio_guide.reading import guides, markup
from audio_guide.reading.guides import read_guide

SIZE = 4 * 1024
GROWTH = 16  # linear: 16 times as long at 16 times the size; quadratic: 256
FRONT = "---\ntitle: A Guide\n---\n\n## Rest\n\n"

# Paragraph shapes: each opener would look for a closer to the end of the text.
PARAGRAPHS = {
    "brackets": "[",
    "brackets-then-one-close": "[",  # one ']' at the very end: every '[' reaches it
    "link-without-paren": "[a](",
    "link-text-without-close": "[a",
    "stars": "*",
    "star-after-space": " *a",
    "star-before-space": "*a ",
    "double-stars": "**a",
    "underscores": "_a",
    "double-underscores": "__a",
    "nested-emphasis": "**_*[",
    "backticks": "`a",
    "escapes": "\\[",
    "sentence-ends": ". a",
    "footnote-marks": "[^",
    "images": "![",
    "tags": "<a",
    "entities": "&",
}
# Heading shapes (one line): the title and its {#id} were found by expressions
# that backtrack over runs of spaces, '#' and '{#'.
HEADINGS = {
    "id-openers": "{#",
    "id-openers-with-space": " {#",
    "spaces": " ",
    "hashes-and-spaces": "# ",
    "closed-id-openers": "{#}",
}


def paragraph(unit: str, name: str, size: int) -> str:
    """About ``size`` characters of unit in one paragraph, in lines within LINE_LIMIT."""
    text = unit * (size // len(unit))
    if name == "brackets-then-one-close":
        text = text[:-1] + "]"
    return "\n".join(text[i:i + 10_000] for i in range(0, len(text), 10_000))


def heading(unit: str, size: int) -> str:
    return "## x" + unit * (size // len(unit)) + "x"


def seconds(path: Path) -> float:
    """The best of three readings: the least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        try:
            read_guide(path)
        except ContentError:
            pass  # refusing markup without words is as good as reading it, if it is quick
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("name", [*PARAGRAPHS, *HEADINGS])
def test_hostile_markup_is_read_in_linear_time(tmp_path, name):
    took = []
    # A heading is one line: the larger stays under LINE_LIMIT, to be read, not refused.
    sizes = (guides.LINE_LIMIT // GROWTH - 10, guides.LINE_LIMIT - 10) if name in HEADINGS else (SIZE, GROWTH * SIZE)
    for size in sizes:
        if name in PARAGRAPHS:
            body = paragraph(PARAGRAPHS[name], name, size)
        else:
            body = heading(HEADINGS[name], size) + "\n\nText.\n"
        path = tmp_path / f"{size}.md"
        path.write_text(FRONT + body + "\n", encoding="utf-8")
        took.append(seconds(path))
    small, large = took
    # Quadratic, these shapes took 256 times as long at 16 times the size, or
    # more; linear, 16 times, with room for a machine busy with other work.
    assert large < 4 * GROWTH * small + 0.005, f"{name}: {large:.3f} s, and {small:.4f} s at 1/{GROWTH} the size"


# The same answers as the expression it replaces -----------------------------

SECTION_ID = re.compile(r"\s*\{#([^}]*)\}$")
PIECES = [*"[]()*_ `\\{}#a\n\t", "\u00a0", "é", "{#", "](", " *", "* ", "}\n", "**", "__"]


def test_section_id_scanner_finds_what_the_expression_found():
    chance = random.Random(13)  # the same strings on every run
    for _ in range(40_000):
        text = "".join(chance.choice(PIECES) for _ in range(chance.randint(0, 16)))
        found, expected = markup.section_id(text), SECTION_ID.search(text)
        assert (found and (found.start(), found.group(1))) == (expected and (expected.start(), expected.group(1))), \
            repr(text)
