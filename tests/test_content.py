"""The reader: the guide's words survive verbatim, and every malformed input
stops the build with file:line, a fix, exit code 1 and no traceback."""

from __future__ import annotations

import re

import pytest

from audio_guide.reading.guides import read_guide, split_sentences
from audio_guide.errors import ContentError

from .conftest import GUIDE, SEED, run_cli

GOOD_FRONT = "---\ntitle: A Guide\n---\n"


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9']+", text.replace("’", "'"))


def test_guide_holds_the_seed_text_verbatim():
    guide = read_guide(GUIDE)
    # The seed leaves the opening and closing text untitled: the reader names the
    # first, and the closing one takes a title in its own words.
    closing = guide.sections[-1].title
    body = []
    for section in guide.sections:
        if section not in (guide.sections[0], guide.sections[-1]):
            body += words(section.title)
        for chapter in section.chapters:
            if chapter.title:
                body += words(chapter.title)
            for block in chapter.blocks:
                for sentence in block.sentences:
                    body += words(sentence.text)
    assert words(guide.title + " " + guide.subtitle) + body == words(SEED.read_text())
    assert all(w in words(" ".join(s.text for c in guide.sections[-1].chapters for b in c.blocks
                                   for s in b.sentences)) for w in words(closing.lower()))


def test_guide_structure():
    guide = read_guide(GUIDE)
    assert [s.title for s in guide.sections] == [
        "Introduction", "Understanding the Emotional Impact of Miscarriage", "Physical Recovery After Miscarriage",
        "Steps Towards Healing", "Navigating Future Pregnancies", "A Path Forward"]
    steps = guide.sections[3]
    assert [c.title for c in steps.chapters] == [
        "1. Allow Yourself to Grieve", "2. Seek Support", "3. Take Care of Your Body", "4. Set Boundaries",
        "5. Find a Creative Outlet", "6. Consider a Memorial"]
    assert steps.line == 22 and steps.chapters[0].line == 24
    assert guide.language == "en" and guide.published.isoformat() == "2026-11-26"


def test_sentences_split_at_ends_only():
    assert split_sentences('There is no "right" way. Seek support, e.g. a friend. Done!') == [
        'There is no "right" way.', "Seek support, e.g. a friend.", "Done!"]
    assert split_sentences('She said "Rest." Then slept.') == ['She said "Rest."', "Then slept."]


CASES = {
    "no-title": (GOOD_FRONT.replace("title: A Guide", "subtitle: x") + "## A\n\nText.\n",
                 "guide.md:1: the guide has no title: add 'title: Your guide's title' to the front matter"),
    "empty-section": (GOOD_FRONT + "\n## First\n\nText.\n\n## Second\n\n## Third\n\nMore.\n",
                      "guide.md:9: section 'Second' has no text: write its text below the heading, "
                      "or remove the heading"),
    "duplicate-section": (GOOD_FRONT + "## Rest\n\nText.\n\n## Rest\n\nMore.\n",
                          "guide.md:8: duplicate section 'Rest' (same as the one on line 4): "
                          "give each section its own title"),
    "unknown-key": (GOOD_FRONT.replace("---\n", "---\ntitel: Oops\n", 1) + "## A\n\nText.\n",
                    "guide.md:2: unknown front-matter key 'titel': remove it or use one of title, subtitle, "
                    "author, publisher, language, description, license, copyright, keywords, published, updated, "
                    "cover, engine, voice, rate, pauses, pacing"),
    "unclosed-front-matter": ("---\ntitle: A Guide\n\n## A\n\nText.\n",
                              "guide.md:1: the front matter opened here is never closed: add a line '---' "
                              "after its last key"),
    "not-utf8": ((GOOD_FRONT + "## A\n\nCaf\xe9 text.\n").encode("latin-1"),
                 "guide.md:6: the file is not UTF-8 (byte 0xe9): save it as UTF-8 in your editor"),
    "no-sections": (GOOD_FRONT + "\n\n",
                    "guide.md:4: the guide has no sections: write its text below the front matter, with a "
                    "'## ' heading before each section"),
}


def write_guide(root, text) -> None:
    folder = root / "content" / "g"
    folder.mkdir(parents=True)
    data = text if isinstance(text, bytes) else text.encode()
    (folder / "guide.md").write_bytes(data)


@pytest.mark.parametrize("case", CASES)
def test_reader_error_message(tmp_path, case):
    text, expected = CASES[case]
    write_guide(tmp_path, text)
    with pytest.raises(ContentError) as raised:
        read_guide(tmp_path / "content" / "g" / "guide.md")
    assert str(raised.value).endswith(expected)
    assert raised.value.line == int(expected.split(":")[1])


@pytest.mark.parametrize("case", ["no-title", "not-utf8", "duplicate-section"])
def test_cli_refuses_bad_content_and_touches_nothing(tmp_path, case):
    text, expected = CASES[case]
    write_guide(tmp_path, text)
    out = tmp_path / "output"
    out.mkdir()
    (out / "keep.txt").write_text("previous edition")
    done = run_cli("build", str(tmp_path / "content"), "--out", str(out), "--cache-dir", str(tmp_path / "c"))
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {tmp_path / 'content' / 'g' / expected}"
    assert "Traceback" not in done.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_markup_is_not_spoken(tmp_path):
    """Links are heard as their text, emphasis and code as plain words, line
    breaks as spaces and entities as the characters they stand for; words in
    angle brackets that are not HTML are heard as written."""
    text = (GOOD_FRONT + "\n## Rest *well* {#rest}\n\nSee [the clinic's page](https://clinic.example/rest) "
            "or\n<https://clinic.example>, *gently* and __slowly__,  \nwith `care` &amp; a <friend>.\n\n"
            "- One *step*\n  1. A smaller one\n- Two\n\n  Said after the list.\n")
    path = tmp_path / "g" / "guide.md"
    path.parent.mkdir()
    path.write_text(text)
    section, = read_guide(path).sections
    assert (section.title, section.id, section.line) == ("Rest well", "rest", 5)
    said = [(b.kind, b.line, " ".join(s.text for s in b.sentences)) for b in section.chapters[0].blocks]
    assert said == [
        ("paragraph", 7, "See the clinic's page or https://clinic.example, gently and slowly, with care & a <friend>."),
        ("item", 11, "One step"), ("item", 12, "A smaller one"), ("item", 13, "Two"),
        ("paragraph", 15, "Said after the list."),
    ]
