"""audio-guide import: one leaflet made here as a Word document, a hospital's
web page and a PDF (with python-docx and fpdf2), and the guide's own source
text, each imported with the real command line and then built. Every word of
the leaflet is heard, in order, and nothing of the page around it is. Bad
documents are refused like bad guides (tests/test_bad_inputs.py): one line,
exit 1, the content folder untouched."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from audio_guide import BuildOptions, build
from audio_guide.reading.guides import read_guide

from .conftest import SEED, run_cli
from .test_bad_inputs import snapshot

docx = pytest.importorskip("docx", reason="the import extra is not installed: pip install -e '.[test]'")
pytest.importorskip("pdfminer", reason="the import extra is not installed: pip install -e '.[test]'")
pytest.importorskip("lxml", reason="the import extra is not installed: pip install -e '.[test]'")

TITLE = "Rest After Pregnancy Loss"
# The leaflet: (kind, text). Sections are "Heading 1", chapters "Heading 2".
LEAFLET = [
    ("intro", "This leaflet is for you if you have had a miscarriage. It explains how to look after yourself."),
    ("h1", "Your Body"),
    ("p", "Bleeding usually stops within two weeks. Rest when you feel tired."),
    ("h2", "Warning Signs"),
    ("p", "Call the ward at once if the bleeding gets heavier or you feel faint."),
    ("h1", "Your Feelings"),
    ("p", "Grief often comes in waves. There is no right way to feel."),
    ("num", "Talk to someone you trust."),
    ("num", "Sleep when you can."),
    ("num", "Ask friends for help with daily tasks."),
    ("h1", "Getting Support"),
    ("p", "Our bereavement midwives are here for you on weekdays from nine until five."),
]
BOLD = "miscarriage"  # written in bold in the Word leaflet: imported as a plain word
ALT = "A midwife talking with a patient"
# Words of the page around the leaflet that must never be heard.
FURNITURE = ["cookies", "navigation", "services", "privacy", "related", "nhs", "riverside", "patient information", "page 1",
             "page 2"]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("’", "'").replace(":", " "))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "lightblue").save(out, "PNG")
    return out.getvalue()


def make_word(path: Path, table: bool = False) -> Path:
    document = docx.Document()
    document.core_properties.title = TITLE
    document.core_properties.author = "Riverside Maternity Unit"
    document.core_properties.language = "en-GB"
    document.add_paragraph(TITLE, style="Title")
    for kind, text in LEAFLET:
        if kind == "intro":
            before, _, after = text.partition(BOLD)
            paragraph = document.add_paragraph(before)
            paragraph.add_run(BOLD).bold = True
            paragraph.add_run(after)
        elif kind in ("h1", "h2"):
            document.add_heading(text, level=int(kind[1]))
        elif kind == "num":
            document.add_paragraph(text, style="List Number")
        else:
            document.add_paragraph(text)
        if text == "Warning Signs":
            picture = document.add_paragraph().add_run().add_picture(io.BytesIO(png()))
            picture._inline.docPr.set("descr", ALT)
    if table:
        grid = document.add_table(rows=2, cols=2)
        grid.cell(0, 0).text = "Day"
    document.save(path)
    return path


def make_web_page(path: Path) -> Path:
    body = []
    for kind, text in LEAFLET:
        if kind == "num":
            if not body[-1].startswith("<li>"):
                body.append("<ol>")
            body.append(f"<li>{text}</li>")
            continue
        if body and body[-1].startswith("<li>"):
            body.append("</ol>")
        tag = {"h1": "h2", "h2": "h3"}.get(kind, "p")
        body.append(f"<{tag}>{text.replace(BOLD, f'<strong>{BOLD}</strong>')}</{tag}>")
        if text == "Warning Signs":
            body.append(f'<figure><img src="midwife.png" alt="{ALT}"></figure>')
    page = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{TITLE} | Riverside Hospital NHS Trust</title>
<meta name="description" content="How to rest and where to find support after a pregnancy loss.">
<script>window.dataLayer = [];</script><style>body {{ font-family: sans-serif }}</style></head>
<body>
<div id="cookie-notice" class="banner">We use cookies to improve this site. <button>Accept all cookies</button></div>
<header><a href="/">Riverside Hospital NHS Trust</a>
<nav aria-label="Main navigation"><ul><li><a href="/services">Services</a></li><li>Visiting</li></ul></nav></header>
<main id="content"><nav class="breadcrumb">Home / Services / Maternity</nav>
<article><h1>{TITLE}</h1>
{chr(10).join(body)}
</article>
<aside><h2>Related leaflets</h2><p>Early pregnancy unit services</p></aside></main>
<footer><p>Riverside Hospital NHS Trust. Privacy and cookies.</p></footer>
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path


def make_pdf(path: Path, image: Path) -> Path:
    from fpdf import FPDF

    class Leaflet(FPDF):
        def header(self):
            self.set_font("helvetica", "", 9)
            self.cell(0, 8, "Riverside Hospital NHS Trust - patient information", new_x="LMARGIN", new_y="NEXT")
            self.ln(6)

        def footer(self):
            self.set_y(-15)
            self.set_font("helvetica", "", 9)
            self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Leaflet(format="A4")
    pdf.set_title(TITLE)
    pdf.set_lang("en-GB")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 22)
    pdf.multi_cell(0, 11, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    number = 0
    for kind, text in LEAFLET:
        if text == "Your Feelings":
            pdf.add_page()
        if kind == "h1":
            pdf.set_font("helvetica", "B", 16)
            pdf.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        elif kind == "h2":
            pdf.set_font("helvetica", "B", 13)
            pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        elif kind == "num":
            number += 1
            pdf.set_font("helvetica", "", 11)
            pdf.multi_cell(0, 6, f"{number}. {text}", new_x="LMARGIN", new_y="NEXT")
            continue
        elif "midwives" in text:
            # A word broken at the line's end, as a typesetter does.
            pdf.set_font("helvetica", "", 11)
            first, _, rest = text.partition("week")
            pdf.cell(0, 6, first + "week-", new_x="LMARGIN", new_y="NEXT")
            pdf.cell(0, 6, rest, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("helvetica", "", 11)
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        if text == "Warning Signs":
            pdf.image(str(image), w=30)
            pdf.ln(4)
    pdf.output(str(path))
    return path


def leaflet_words(numbers: bool = False) -> list[str]:
    found = words(TITLE)
    n = 0
    for kind, text in LEAFLET:
        n = n + 1 if kind == "num" else 0
        found += ([str(n)] if numbers and kind == "num" else []) + words(text)
    return found


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The leaflet in each format, imported by the command line and built, all
    sharing one speech cache (the words are the same)."""
    work = tmp_path_factory.mktemp("import")
    (work / "midwife.png").write_bytes(png())
    sources = {"word": make_word(work / "leaflet.docx"), "web": make_web_page(work / "leaflet.html"),
               "pdf": make_pdf(work / "leaflet.pdf", work / "midwife.png")}
    results = {}
    for kind, source in sources.items():
        done = run_cli("import", str(source), "--content", f"content-{kind}", cwd=work)
        assert done.returncode == 0, done.stderr
        content = work / f"content-{kind}"
        options = BuildOptions(content_dir=content, out_dir=work / f"out-{kind}", cache_dir=work / "cache", jobs=2,
                               site_dir=work)
        results[kind] = (done.stdout, content, build(options), options)
    return results


FORMATS = ["word", "web", "pdf"]


@pytest.mark.parametrize("kind", FORMATS)
def test_an_imported_leaflet_has_one_episode_per_heading(imported, kind):
    report, content, result, _ = imported[kind]
    guide = read_guide(content / "rest-after-pregnancy-loss" / "guide.md")
    assert guide.title == TITLE
    assert [s.title for s in guide.sections] == ["Introduction", "Your Body", "Your Feelings", "Getting Support"]
    assert [c.title for c in guide.sections[1].chapters] == [None, "Warning Signs"]
    assert [b.kind for b in guide.sections[2].chapters[0].blocks] == ["paragraph", "item", "item", "item"]
    assert guide.language == "en-GB"
    assert len(result.editions[0].episodes) == 4
    assert "title: 'Rest After Pregnancy Loss'" in report and "license" in report
    if kind != "pdf":  # a PDF does not say what its pictures show
        assert ALT in report
    else:
        assert "page 1" in report


@pytest.mark.parametrize("kind", FORMATS)
def test_every_word_of_the_leaflet_is_heard_in_order_and_nothing_else_of_the_page(imported, kind):
    _, _, result, options = imported[kind]
    edition = result.editions[0]
    folder = result.folder(edition)
    heard = []
    for episode in edition.episodes:
        heard += words((folder / episode.files.txt).read_text(encoding="utf-8"))
    position = 0
    for n, word in enumerate(leaflet_words()):
        assert word in heard[position:], f"word {n} of the leaflet, {word!r}, is not heard after word {position}"
        position = heard.index(word, position) + 1
    said = " ".join(heard)
    for furniture in FURNITURE:
        assert furniture not in said
    assert "weekdays" in heard  # the PDF's word broken at a line's end is whole again


def test_bold_words_are_plain_words_in_the_guide(imported):
    _, content, _, _ = imported["word"]
    text = (content / "rest-after-pregnancy-loss" / "guide.md").read_text(encoding="utf-8")
    assert f"had a {BOLD}. It explains" in text and "**" not in text
    assert 'author: "Riverside Maternity Unit"' in text


def test_the_guides_own_source_text_gives_its_sections_and_its_words(tmp_path):
    done = run_cli("import", str(SEED), "--content", "content", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    guide = read_guide(tmp_path / "content" / "journey-through-healing" / "guide.md")
    titles = [s.title for s in guide.sections]
    assert titles[1:5] == ["Understanding the Emotional Impact of Miscarriage", "Physical Recovery After Miscarriage",
                           "Steps Towards Healing", "Navigating Future Pregnancies"]
    assert len(titles) == 6 and titles[0] == "Introduction"
    assert titles[5] == "Recovering from a miscarriage"  # the closing, named in its own first words
    found = words(guide.title + " " + guide.subtitle)
    for section in guide.sections:
        if section not in (guide.sections[0], guide.sections[-1]):
            found += words(section.title)
        for chapter in section.chapters:
            found += words(chapter.title or "")
            found += [w for b in chapter.blocks for s in b.sentences for w in words(s.text)]
    assert found == words(SEED.read_text(encoding="utf-8"))
    assert "the closing text had no heading" in done.stdout


def test_an_existing_guide_is_replaced_only_with_force(tmp_path):
    assert run_cli("import", str(SEED), cwd=tmp_path).returncode == 0
    guide = tmp_path / "content" / "journey-through-healing" / "guide.md"
    guide.write_text("edited by hand\n")
    again = run_cli("import", str(SEED), cwd=tmp_path)
    assert again.returncode == 1 and guide.read_text() == "edited by hand\n"
    assert again.stderr.strip() == (f"error: {Path('content/journey-through-healing/guide.md')}: a guide is already "
                                    "there: pass --force to replace it, or --name to import under another name")
    assert run_cli("import", str(SEED), "--force", cwd=tmp_path).returncode == 0
    assert guide.read_text().startswith("---\ntitle: \"Journey Through Healing\"\n")
    assert [p.name for p in guide.parent.iterdir()] == ["guide.md"]  # no temporary file left


def test_markdown_without_front_matter_gets_one(tmp_path):
    (tmp_path / "rest.md").write_text("# Rest Well\n\nTake your time.\n\n## Sleep\n\nSleep when you can.\n")
    done = run_cli("import", "rest.md", "--name", "rest", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    guide = read_guide(tmp_path / "content" / "rest" / "guide.md")
    assert guide.title == "Rest Well" and [s.title for s in guide.sections] == ["Introduction", "Sleep"]
