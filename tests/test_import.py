"""audio-guide import: one leaflet made here as a Word document, a hospital's
web page and a PDF (with python-docx and fpdf2), and the guide's own source
text, each imported with the real command line and then built. Every word of
the leaflet is heard, in order, and nothing of the page around it is. Bad
documents are refused like bad guides (tests/test_bad_inputs.py): one line,
exit 1, the content folder untouched."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from audio_guide import BuildOptions, build
from audio_guide.reading.guides import read_guide

from .conftest import ROOT, SEED, run_cli
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
    document.core_properties.created = datetime.datetime(2026, 11, 20, 9, 30)
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
    assert 'author: "Riverside Maternity Unit"' in text and "\npublished: 2026-11-20\n" in text


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


def test_tracked_changes_and_comments_give_the_accepted_text_and_say_so(tmp_path):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph("Rest Well", style="Title")
    paragraph = document.add_paragraph("Rest when you can")
    for wrapper, tag, words_ in (("w:del", "w:delText", " and never walk"), ("w:ins", "w:t", " and walk a little")):
        change, run, text = OxmlElement(wrapper), OxmlElement("w:r"), OxmlElement(tag)
        change.set(qn("w:id"), "1" if wrapper == "w:del" else "2")
        change.set(qn("w:author"), "Editor")
        text.text = words_
        text.set(qn("xml:space"), "preserve")
        run.append(text)
        change.append(run)
        paragraph._p.append(change)
    paragraph.add_run(".")
    document.add_comment(paragraph.runs[0], text="Is this what the midwives say?", author="Editor")
    document.save(tmp_path / "rest.docx")
    done = run_cli("import", "rest.docx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    guide = read_guide(tmp_path / "content" / "rest-well" / "guide.md")
    assert [s.text for c in guide.sections[0].chapters for b in c.blocks for s in b.sentences] == [
        "Rest when you can and walk a little."]
    assert "tracked changes: the text is as if every change were accepted" in done.stdout
    assert "comments: they were left out" in done.stdout


def test_a_two_column_pdf_is_read_a_column_at_a_time(tmp_path):
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.cell(0, 12, "Two Columns", new_x="LMARGIN", new_y="NEXT")
    columns = [["Left", "The left column begins here and goes on down the page to its end."],
               ["Right", "Only then does the right column start, and it finishes the leaflet."]]
    top = pdf.get_y() + 5
    for x, (heading, text) in zip((10, 110), columns):
        pdf.set_xy(x, top)
        pdf.set_font("helvetica", "B", 15)
        pdf.multi_cell(85, 8, heading, new_x="LEFT", new_y="NEXT")
        pdf.set_font("helvetica", "", 11)
        pdf.multi_cell(85, 6, text, new_x="LEFT", new_y="NEXT")
    pdf.output(str(tmp_path / "columns.pdf"))
    done = run_cli("import", "columns.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    guide = read_guide(tmp_path / "content" / "two-columns" / "guide.md")
    assert [s.title for s in guide.sections] == ["Left", "Right"]
    heard = [w for s in guide.sections for c in s.chapters for b in c.blocks for t in b.sentences
             for w in words(t.text)]
    assert heard == words(columns[0][1] + " " + columns[1][1])


def test_a_missing_library_says_what_to_install(tmp_path, monkeypatch):
    from audio_guide.errors import ConfigError
    from audio_guide.importing import import_guides

    make_word(tmp_path / "leaflet.docx")
    monkeypatch.setitem(sys.modules, "docx", None)  # as if python-docx were not installed
    with pytest.raises(ConfigError) as caught:
        import_guides([tmp_path / "leaflet.docx"], tmp_path / "content")
    assert str(caught.value) == ("importing Word documents needs python-docx, which is not installed: "
                                 "pip install 'audio-guide[import]'")
    assert not (tmp_path / "content").exists()


def test_other_commands_do_not_load_the_import_libraries():
    done = subprocess.run([sys.executable, "-c", "import sys, audio_guide.cli; print(sorted(m for m in ('docx', "
                           "'lxml', 'pdfminer', 'audio_guide.importing') if m in sys.modules))"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "[]", done.stderr


def _zip(entries: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _pdf(scan: bool = False, password: str | None = None, image: Path | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    if password:
        pdf.set_encryption(owner_password="clinic-owner", user_password=password)
    pdf.add_page()
    if scan:
        pdf.image(str(image), w=150)
    else:
        pdf.set_font("helvetica", "", 11)
        pdf.multi_cell(0, 6, "Rest when you can.")
    return bytes(pdf.output())


def _write(name: str, data) -> callable:
    def make(folder: Path) -> str:
        (folder / name).write_bytes(data(folder) if callable(data) else data)
        return name
    return make


def _sparse(name: str, size: int) -> callable:
    def make(folder: Path) -> str:
        with open(folder / name, "wb") as out:
            out.truncate(size)
        return name
    return make


def _word_with_table(folder: Path) -> str:
    make_word(folder / "leaflet.docx", table=True)
    return "leaflet.docx"


def _page_with_table(folder: Path) -> str:
    (folder / "leaflet.html").write_text("<html><body><main><h1>Rest</h1><h2>When to call</h2><p>Call us.</p>"
                                         "<table><tr><td>Day</td><td>Night</td></tr></table></main></body></html>")
    return "leaflet.html"


def _scan(folder: Path) -> bytes:
    (folder / "scan.png").write_bytes(png())
    return _pdf(scan=True, image=folder / "scan.png")


REPAIR = "open it in Word and save it again as a Word document (.docx)"


@dataclass
class Bad:
    make: callable  # writes the document into the folder and gives its name
    message: str  # what follows 'error: '
    args: tuple = ()


BAD_DOCUMENTS = {
    "corrupt-docx": Bad(_write("leaflet.docx", b"PK\x03\x04" + bytes(range(256)) * 8),
                        "leaflet.docx: is damaged or is not a Word document (it is not a .docx package): " + REPAIR),
    "docx-a-zip-of-photos": Bad(_write("leaflet.docx", _zip({"holiday/1.jpg": b"\xff\xd8", "holiday/2.jpg": b"\xff"})),
                                "leaflet.docx: is a zip archive of something else (holiday/1.jpg, holiday/2.jpg), not "
                                "a Word document: give the leaflet's .docx file, or " + REPAIR),
    "docx-decompression-bomb": Bad(_write("leaflet.docx", lambda _: _zip({
                                       "[Content_Types].xml": "<Types/>", "word/document.xml": b" " * (60 * 2**20)})),
                                   "leaflet.docx: would unpack to 60 MB (word/document.xml alone unpacks to over 100 "
                                   "times its packed size), which no leaflet does, so it was not opened: " + REPAIR),
    "docx-with-a-table": Bad(_word_with_table,
                             "leaflet.docx: has a table after paragraph 14 (after the heading 'Getting Support'), and "
                             "a table cannot be heard: rewrite it as sentences or a list (one item per row), then "
                             "import again"),
    "web-page-with-a-table": Bad(_page_with_table,
                                 "leaflet.html: has a table after the heading 'When to call', and a table cannot be "
                                 "heard: rewrite it as sentences or a list (one item per row), then import again"),
    "encrypted-pdf": Bad(_write("leaflet.pdf", lambda _: _pdf(password="secret")),
                         "leaflet.pdf: is encrypted (it needs a password to open), so its text cannot be read: save "
                         "an unprotected copy, or give the Word document it was made from"),
    "scanned-pdf": Bad(_write("leaflet.pdf", _scan),
                       "leaflet.pdf: has no text layer (it is a scanned image of the pages), so there are no words to "
                       "import: import the Word document it was made from, or run it through text recognition (OCR) "
                       "first"),
    "damaged-pdf": Bad(_write("leaflet.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ntrailer\n"),
                       "leaflet.pdf: is damaged (it cannot be read as a PDF): export the leaflet as PDF again, or "
                       "give the Word document"),
    "pdf-that-is-a-web-page": Bad(_write("leaflet.pdf", b"<html><body>Not found</body></html>"),
                                  "leaflet.pdf: is not a PDF (it does not start as one): export the leaflet as PDF "
                                  "again, or give the Word document"),
    "empty-file": Bad(_write("leaflet.docx", b""),
                      "leaflet.docx: the file is empty: export the leaflet again, or give the right file"),
    "empty-text-file": Bad(_write("leaflet.txt", b"\n  \n"), "leaflet.txt: the file holds no words: give the "
                                                              "leaflet's text"),
    "binary-text-file": Bad(_write("leaflet.txt", b"\x00\x01\x02\xff\xfe\x00"),
                            "leaflet.txt: is not text (it holds binary data): give a .txt or .md file saved as UTF-8"),
    "unsupported-extension": Bad(_write("leaflet.rtf", b"{\\rtf1 Rest}"),
                                 "leaflet.rtf: '.rtf' is not a kind of document audio-guide imports (.docx, .html, "
                                 ".pdf, .txt, .md): save it as a Word document (.docx), then import that"),
    "old-word-document": Bad(_write("leaflet.doc", b"\xd0\xcf\x11\xe0"),
                             "leaflet.doc: '.doc' is not a kind of document audio-guide imports (.docx, .html, .pdf, "
                             ".txt, .md): save it in Word as a .docx document, then import that"),
    "file-of-200-mb": Bad(_sparse("leaflet.pdf", 200 * 2**20),
                          "leaflet.pdf: the file is 200 MB, over the limit of 100 MB for a leaflet: give the leaflet "
                          "alone, or save it with smaller pictures"),
    "no-such-file": Bad(lambda _: "nowhere.docx", "nowhere.docx: no such file: check the name and folder"),
    "name-not-a-slug": Bad(_write("leaflet.txt", b"Rest\n\nText.\n"),
                           "--name 'Rest Well': a guide's name must be lower-case letters and digits joined by "
                           "hyphens, for example after-care", args=("--name", "Rest Well")),
}


@pytest.mark.parametrize("name", BAD_DOCUMENTS)
def test_bad_document_is_refused_clearly_and_writes_nothing(tmp_path, name):
    case = BAD_DOCUMENTS[name]
    document = case.make(tmp_path)
    (tmp_path / "content" / "other").mkdir(parents=True)
    (tmp_path / "content" / "other" / "guide.md").write_text("---\ntitle: Other\n---\n\nText.\n")
    before = snapshot(tmp_path / "content")
    done = run_cli("import", document, *case.args, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    print(f"\n{name}: exit {done.returncode}: {lines[-1] if lines else ''}")
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert lines == ["error: " + case.message]
    assert done.stdout == ""
    assert snapshot(tmp_path / "content") == before
