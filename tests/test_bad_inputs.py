"""Hostile and malformed inputs, met as clinic staff meet them: the real
command line in a new process. Each is refused with exit code 1 (2 for an
option click itself refuses), one line 'error: <file>:<line>: what is wrong:
how to fix it', no traceback, and the output folder exactly as it was.

Run with -rP (or -s) to see every case's message in the log.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from .conftest import ROOT, run_cli

GUIDE = "content/g/guide.md"
FRONT = "---\ntitle: A Guide\npublished: 2026-11-26\n---\n"
GOOD = FRONT + "\n## Rest\n\nText here.\n"
ENGINE = ("--engine", "espeak-ng", "--jobs", "1")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def guide(text: str | bytes) -> dict:
    return {GUIDE: text}


def front(*lines: str, body: str = "\n## Rest\n\nText here.\n") -> dict:
    return guide("---\ntitle: A Guide\n" + "".join(line + "\n" for line in lines) + "---\n" + body)


def body(text: str) -> dict:
    return guide(FRONT + text)


@dataclass
class Case:
    files: dict  # relative path -> text or bytes, beside content/ (GUIDE defaults to GOOD)
    message: str  # what follows 'error: ' on the last line of stderr
    args: tuple = ()
    code: int = 1
    previous: bool = False  # output/ holds a real previous edition (errors met while building)
    extra: dict = field(default_factory=dict)


CASES = {
    # The guide's front matter.
    "yaml-unclosed-bracket": Case(front("subtitle: [unclosed"),
                                  GUIDE + ":3: front matter: expected ',' or ']', but got '<stream end>'; write one "
                                          "'key: value' per line"),
    "yaml-tab-indent": Case(front("\tsubtitle: x"),
                            GUIDE + ":3: front matter: found character '\\t' that cannot start any token; write one "
                                    "'key: value' per line"),
    "yaml-python-tag": Case(front("subtitle: !!python/object:os.system x"),
                            GUIDE + ":3: front matter: could not determine a constructor for the tag "
                                    "'tag:yaml.org,2002:python/object:os.system'; write one 'key: value' per line"),
    "yaml-nested-too-deep": Case(front("pauses: " + "[" * 5000 + "]" * 5000),
                                 GUIDE + ":2: front matter: brackets nested too deeply; write one 'key: value' per "
                                         "line"),
    "front-matter-a-list": Case(guide("---\n- title\n- A Guide\n---\n\n## Rest\n\nText.\n"),
                                GUIDE + ":2: front matter must be 'key: value' lines"),
    "front-matter-unclosed": Case(guide("---\ntitle: A Guide\n\n## Rest\n\nText.\n"),
                                  GUIDE + ":1: the front matter opened here is never closed: add a line '---' after "
                                          "its last key"),
    "no-front-matter": Case(guide("## Rest\n\nText.\n"),
                            GUIDE + ":1: no front matter: start the file with a line '---', then 'title: ...', then "
                                    "'---'"),
    "empty-file": Case(guide(""),
                       GUIDE + ":1: no front matter: start the file with a line '---', then 'title: ...', then '---'"),
    "whitespace-only-file": Case(guide("  \n\t\n\n"),
                                 GUIDE + ":1: no front matter: start the file with a line '---', then 'title: ...', "
                                         "then '---'"),
    "unknown-key": Case(front("titel: Oops"),
                        GUIDE + ":3: unknown front-matter key 'titel': remove it or use one of title, subtitle, "
                                "author, publisher, language, description, license, copyright, keywords, published, "
                                "updated, cover, engine, voice, rate, pauses, pacing"),
    "key-given-twice": Case(front("title: Another"),
                            GUIDE + ":3: front matter: 'title' is given twice (first on line 2): keep one"),
    "title-a-number": Case(guide("---\ntitle: 42\n---\n\n## Rest\n\nText.\n"),
                           GUIDE + ":2: 'title' must be text: put it in quotes"),
    "title-a-list": Case(guide("---\ntitle: [a, b]\n---\n\n## Rest\n\nText.\n"),
                         GUIDE + ":2: 'title' must be text: put it in quotes"),
    "rate-a-word": Case(front("rate: fast"),
                        GUIDE + ":3: 'rate' must be whole words per minute between 80 and 400; 150 is calm"),
    "rate-out-of-range": Case(front("rate: 9000"),
                              GUIDE + ":3: 'rate' must be whole words per minute between 80 and 400; 150 is calm"),
    "pauses-negative": Case(front("pauses: {heading: -5}"),
                            GUIDE + ":3: pause 'heading' must be whole milliseconds from 0 to 10000"),
    "pauses-a-list": Case(front("pauses: [1, 2]"),
                          GUIDE + ":3: 'pauses' must map kinds to milliseconds, for example 'pauses: {heading: 1000}'"),
    "date-impossible": Case(front("published: 2026-13-45"),
                            GUIDE + ":3: front matter: this value cannot be read (a date must be a real day, written "
                                    "YYYY-MM-DD)"),
    "date-a-number": Case(front("updated: 2026"), GUIDE + ":3: 'updated' must be a date written YYYY-MM-DD"),
    "language-a-sentence": Case(front("language: english please"),
                                GUIDE + ":3: 'language' must be a language tag such as en or en-GB, not 'english "
                                        "please'"),
    "keywords-a-mapping": Case(front("keywords: {a: 1}"),
                               GUIDE + ":3: 'keywords' must be a list of words, for example [grief, recovery]"),
    "control-character-by-yaml-escape": Case(front('subtitle: "Tears\\a"'),
                                             GUIDE + ":3: 'subtitle' holds the invisible character U+0007: remove it "
                                                     "(a YAML escape such as \\a or \\x07 writes one)"),
    "lone-surrogate-by-yaml-escape": Case(front('subtitle: "Tears\\ud800"'),
                                          GUIDE + ":3: 'subtitle' holds the invisible character U+D800: remove it (a "
                                                  "YAML escape such as \\a or \\x07 writes one)"),
    # The guide's body.
    "empty-section": Case(body("\n## First\n\nText.\n\n## Second\n\n## Third\n\nMore.\n"),
                          GUIDE + ":10: section 'Second' has no text: write its text below the heading, or remove "
                                  "the heading"),
    "whitespace-only-section": Case(body("\n## First\n\n   \n\t\n\n## Second\n\nText.\n"),
                                    GUIDE + ":6: section 'First' has no text: write its text below the heading, or "
                                            "remove the heading"),
    "empty-chapter": Case(body("\n## First\n\n### Inside\n\n### Next\n\nText.\n"),
                          GUIDE + ":8: chapter 'Inside' has no text: write its text below the heading, or remove the "
                                  "heading"),
    "empty-list-item": Case(body("\n## Rest\n\nText.\n\n- \n"),
                            GUIDE + ":10: this list item has no words to speak: write its text, or remove the line"),
    "paragraph-of-markup-only": Case(body("\n## Rest\n\n**[]()**\n"),
                                     GUIDE + ":8: this paragraph has no words to speak: write its text, or remove "
                                             "the line"),
    # Markdown the edition cannot speak: each read as a paragraph, it would be heard as markup.
    "quotation": Case(body("\n## Rest\n\n> Be kind to yourself.\n"),
                      GUIDE + ":8: a quotation (>) cannot be heard as one: write it as a paragraph, in quotation "
                              "marks"),
    "image": Case(body("\n## Rest\n\nA quiet room.\n![A quiet room](room.jpg)\n"),
                  GUIDE + ":9: an image cannot be heard: describe it in a sentence, or remove it"),
    "table": Case(body("\n## Rest\n\n| Day | Rest |\n|-----|------|\n| 1   | All day |\n"),
                  GUIDE + ":8: a table cannot be heard: write each row as a sentence or a list item"),
    "code-fence": Case(body("\n## Rest\n\n```\nRest well.\n```\n"),
                       GUIDE + ":8: a code block (```) cannot be heard: write its words as a paragraph, without the "
                               "fence"),
    "indented-code": Case(body("\n## Rest\n\nText.\n\n    Rest well.\n"),
                          GUIDE + ":10: a line indented by four spaces (or a tab) is a code block, which cannot be "
                                  "heard: remove the indent to make it a paragraph"),
    "html-comment": Case(body("\n## Rest\n\n<!-- check this with the midwife -->\n\nText.\n"),
                         GUIDE + ":8: raw HTML (<!-- check this with the midw…) cannot be heard: write its words as "
                                 "plain text, or remove it"),
    "html-tag": Case(body("\n## Rest\n\nRest <b>well</b>.\n"),
                     GUIDE + ":8: raw HTML (<b>) cannot be heard: write its words as plain text, or remove it"),
    "thematic-break": Case(body("\n## Rest\n\nText.\n\n---\n\nMore.\n"),
                           GUIDE + ":10: a thematic break (---, *** or ___) cannot be heard: start a new section "
                                   "with '## ' instead, or remove the line"),
    "thematic-break-of-stars": Case(body("\n## Rest\n\n** **\n"),
                                    GUIDE + ":8: a thematic break (---, *** or ___) cannot be heard: start a new "
                                            "section with '## ' instead, or remove the line"),
    "underlined-heading": Case(body("\n## Rest\n\nSleep well\n==========\n\nText.\n"),
                               GUIDE + ":9: the line above is underlined with '===', which makes it a heading: write "
                                       "it as '## Title' (a section) or '### Title' (a chapter), or leave a blank "
                                       "line between the two"),
    "footnote": Case(body("\n## Rest\n\nRest well.[^1]\n\n[^1]: Ask your midwife.\n"),
                     GUIDE + ":8: a footnote ([^1]) cannot be heard: put the note's words in the text where they "
                             "belong, and remove the mark"),
    "footnote-text": Case(body("\n## Rest\n\nRest well.\n\n[^1]: Midwife.\n"),
                          GUIDE + ":10: a footnote ([^...]: ...) cannot be heard: put the note's words in the text "
                                  "where they belong, and remove this line"),
    "link-defined-apart": Case(body("\n## Rest\n\nRest [well][clinic].\n\n[clinic]: https://clinic.example\n"),
                               GUIDE + ":10: a link defined on a line of its own ([name]: address) cannot be heard: "
                                       "write the link where it is used, as [its text](address), and remove this "
                                       "line"),
    "struck-through": Case(body("\n## Rest\n\n~~Rest~~ Sleep well.\n"),
                           GUIDE + ":8: struck-through text (~~) cannot be heard as struck through: remove it, or "
                                   "write it as plain words"),
    "heading-without-space": Case(body("\n##Rest\n\nText.\n"),
                                  GUIDE + ":6: a line that starts with '#' is a heading only with a space after the "
                                          "#'s: write '## Title' (or '\\#' to begin a line of text with #)"),
    "heading-in-list-item": Case(body("\n## Rest\n\n- ## Sleep\n"),
                                 GUIDE + ":8: a heading cannot be part of a list item: write it on a line of its "
                                         "own, without the list mark"),
    "list-number-of-a-year": Case(body("\n## Rest\n\n2026. A year of rest.\n"),
                                  GUIDE + ":8: '2026.' at the start of a line makes a numbered list item, whose "
                                          "number is not heard: to say the number, write '2026\\.'"),
    "lists-nested-too-deeply": Case(body("\n## Rest\n\n" + "\n".join("  " * i + "- Rest" for i in range(12)) + "\n"),
                                    GUIDE + ":18: lists nested this deeply cannot be read: indent this line less"),
    "heading-without-title": Case(body("\n##   \n\nText.\n"),
                                  GUIDE + ":6: this heading has no title: write the title after the #'s"),
    "heading-level-1": Case(body("\n# Big\n\nText.\n"),
                            GUIDE + ":6: heading level 1 is not used in guides: write '## ' for a section or '### ' "
                                    "for a chapter (the title belongs in the front matter)"),
    "chapter-before-any-section": Case(body("\n### Inside\n\nText.\n"),
                                       GUIDE + ":6: a '###' chapter must come after a '##' section heading"),
    "no-sections": Case(body("\n\n"),
                        GUIDE + ":5: the guide has no sections: write its text below the front matter, with a '## ' "
                                "heading before each section"),
    "duplicate-section-title": Case(body("\n## Rest\n\nText.\n\n## Rest\n\nMore.\n"),
                                    GUIDE + ":10: duplicate section 'Rest' (same as the one on line 6): give each "
                                            "section its own title"),
    "duplicate-section-id": Case(body("\n## Rest {#rest}\n\nText.\n\n## Sleep {#rest}\n\nMore.\n"),
                                 GUIDE + ":10: duplicate section id 'rest' (same as the one on line 6): give each "
                                         "section its own id"),
    "section-id-dot-dot": Case(body("\n## Rest {#..}\n\nText.\n"),
                               GUIDE + ":6: section id '..' must be lower-case letters and digits joined by hyphens, "
                                       "for example {#after-care}"),
    "section-id-path": Case(body("\n## Rest {#../../etc/passwd}\n\nText.\n"),
                            GUIDE + ":6: section id '../../etc/passwd' must be lower-case letters and digits joined "
                                    "by hyphens, for example {#after-care}"),
    "section-id-backslash": Case(body("\n## Rest {#a\\b}\n\nText.\n"),
                                 GUIDE + ":6: section id 'a\\b' must be lower-case letters and digits joined by "
                                         "hyphens, for example {#after-care}"),
    "line-of-2-mb": Case(body("\n## Rest\n\n" + "word " * 400_000 + "\n"),
                         GUIDE + ":8: this line is 2,000,000 characters long, over the limit of 20,000: break it "
                                 "into paragraphs with blank lines"),
    "guide-over-4-mb": Case(body("\n## Rest\n\n" + ("word " * 3_000 + "\n\n") * 300),
                            GUIDE + ": the guide is 4,500,655 bytes long, over the limit of 4,000,000: split it into "
                                    "several guides, each in a folder of its own"),
    "control-character": Case(body("\n## Rest\n\nTears\x07 and hope.\n"),
                              GUIDE + ":8: invisible control character U+0007 in column 6: delete it (it often comes "
                                      "from copying out of a PDF)"),
    "nul-byte": Case(body("\n## Rest\n\nTears\x00 and hope.\n"),
                     GUIDE + ":8: invisible control character U+0000 in column 6: delete it (it often comes from "
                             "copying out of a PDF)"),
    "line-separator": Case(body("\n## Rest\n\nTears\u2028and hope.\n"),
                           GUIDE + ":8: invisible control character U+2028 in column 6: delete it (it often comes "
                                   "from copying out of a PDF)"),
    # Encodings.
    "latin-1-byte-inside-utf-8": Case(guide(FRONT.encode() + "\n## Café\n\nCafé ".encode() + b"caf\xe9.\n"),
                                      GUIDE + ":8: the file is not UTF-8 (byte 0xe9): save it as UTF-8 in your editor"),
    "utf-16-with-bom": Case(guide(GOOD.encode("utf-16")),
                            GUIDE + ":1: the file is UTF-16, not UTF-8: save it as UTF-8 in your editor"),
    "utf-16-without-bom": Case(guide(GOOD.encode("utf-16-le")),
                               GUIDE + ":1: the file is UTF-16, not UTF-8: save it as UTF-8 in your editor"),
    "utf-8-bom-then-latin-1": Case(guide(b"\xef\xbb\xbf" + GOOD.encode().replace(b"here", b"h\xe9re")),
                                   GUIDE + ":8: the file is not UTF-8 (byte 0xe9): save it as UTF-8 in your editor"),
    # Cover paths and images.
    "cover-dot-dot": Case(front("cover: ../cover.png"),
                          GUIDE + ":3: 'cover' must be a path inside the guide's folder, not '../cover.png'"),
    "cover-absolute": Case(front("cover: /etc/passwd"),
                           GUIDE + ":3: 'cover' must be a path inside the guide's folder, not '/etc/passwd'"),
    "cover-backslash": Case(front("cover: 'art\\cover.png'"),
                            GUIDE + ":3: 'cover' must be a path inside the guide's folder, not 'art\\\\cover.png'"),
    "cover-missing": Case(front("cover: cover.png"),
                          GUIDE + ":3: the cover image 'cover.png' is not in content/g: put it there or fix the path"),
    "cover-a-folder": Case({**front("cover: art"), "content/g/art/x": "x"},
                           GUIDE + ":3: the cover image 'art' is not in content/g: put it there or fix the path"),
    "cover-not-an-image": Case({**front("cover: cover.png"), "content/g/cover.png": "<html>not a png</html>"},
                               GUIDE + ":3: cover.png: the cover is not an image Pillow can read (or it is "
                                       "damaged): use a JPEG or PNG", previous=True),
    "engine-not-a-name": Case(front("engine: [piper]"),
                              GUIDE + ":3: 'engine' must be a speech engine's name, for example 'engine: piper'"),
    "voice-the-engine-lacks": Case(front("voice: klingon"),
                                   GUIDE + ":3: 'voice': the espeak-ng engine has no voice 'klingon'; run 'audio-guide "
                                           "voices --engine espeak-ng' to list the ones it has", previous=True),
    # The site file.
    "site-broken-yaml": Case({"site.yaml": "clinic_name: [Riverside\n"},
                             "site.yaml:2: expected ',' or ']', but got '<stream end>': write one 'key: value' per "
                             "line"),
    "site-a-list": Case({"site.yaml": "- clinic_name\n"}, "site.yaml:1: the site file must be 'key: value' lines"),
    "site-unknown-key": Case({"site.yaml": "clinic_name: Riverside\nclinic: Riverside\n"},
                             "site.yaml:2: unknown key 'clinic': use any of base_url, clinic_name, contact, logo, "
                             "engine, email, cluster"),
    "site-key-given-twice": Case({"site.yaml": "contact: a\ncontact: b\n"},
                                 "site.yaml:2: 'contact' is given twice (first on line 1): keep one"),
    "site-wrong-type": Case({"site.yaml": "contact: [0123, 456]\n"},
                            "site.yaml:1: 'contact' must be text: put it in quotes"),
    "site-not-utf-8": Case({"site.yaml": b"clinic_name: Caf\xe9 Clinic\n"},
                           "site.yaml:1: the site file is not UTF-8 (byte 0xe9): save it as UTF-8 in your editor"),
    "site-base-url-ftp": Case({"site.yaml": "base_url: ftp://clinic.example/audio\n"},
                              "site.yaml:1: base_url 'ftp://clinic.example/audio': it must start with https:// "
                              "(or http://), for example https://clinic.example/audio"),
    "site-base-url-javascript": Case({"site.yaml": "clinic_name: x\nbase_url: 'javascript:alert(1)'\n"},
                                     "site.yaml:2: base_url 'javascript:alert(1)': it must start with "
                                     "https:// (or http://), for example https://clinic.example/audio"),
    "site-base-url-no-scheme": Case({"site.yaml": "base_url: clinic.example/audio\n"},
                                    "site.yaml:1: base_url 'clinic.example/audio': it must start with https:// "
                                    "(or http://), for example https://clinic.example/audio"),
    "site-logo-missing": Case({"site.yaml": "logo: logo.png\n"},
                              "site.yaml:1: the logo 'logo.png' must be a PNG or JPEG file that exists"),
    "site-logo-not-an-image": Case({"site.yaml": "logo: logo.png\n", "logo.png": "GIF89a, or so it says"},
                                   "site.yaml:1: the logo 'logo.png' is not a PNG or JPEG image (or it is damaged): "
                                   "export it again as PNG or JPEG"),
    "site-logo-gif": Case({"site.yaml": "logo: logo.gif\n", "logo.gif": b"GIF89a"},
                          "site.yaml:1: the logo 'logo.gif' must be a PNG or JPEG file that exists"),
    "site-control-character": Case({"site.yaml": 'clinic_name: "River\\x1bside"\n'},
                                   "site.yaml:1: 'clinic_name' holds the invisible character U+001B: remove it"),
    "site-email-with-a-name": Case({"site.yaml": "clinic_name: x\nemail: Riverside <podcasts@clinic.example>\n"},
                                   "site.yaml:2: the email 'Riverside <podcasts@clinic.example>' is not one address "
                                   "podcast directories can write to: give it alone, without a name or 'mailto:', "
                                   "for example podcasts@clinic.example"),
    "site-email-control-character": Case({"site.yaml": 'email: "podcasts@clinic.example\\a"\n'},
                                         "site.yaml:1: 'email' holds the invisible character U+0007: remove it"),
    # The site's podcast guids, read before any speech.
    "site-identity-damaged": Case({"site-identity.json": '{"podcasts": {"g": {"podcast_guid": "not-a-guid", '
                                                         '"first_feed_url": "https://a.org/g/feed.xml"}}}'},
                                  "site-identity.json: this file is damaged (badly formed hexadecimal UUID string): "
                                  "restore it from version control; deleting it would give this site's podcasts "
                                  "new guids, and apps would lose the feeds when the site moves"),
    "site-file-missing": Case({},
                              "nowhere.yaml: cannot read the site file (No such file or directory): check the path "
                              "given with --site", args=("--site", "nowhere.yaml")),
    # The command line.
    "base-url-ftp": Case({},
                         "--base-url 'ftp://clinic.example/audio': it must start with https:// (or http://), "
                         "for example https://clinic.example/audio",
                         args=("--base-url", "ftp://clinic.example/audio")),
    "base-url-relative": Case({},
                              "--base-url 'clinic.example/audio': it must start with https:// (or http://), "
                              "for example https://clinic.example/audio",
                              args=("--base-url", "clinic.example/audio")),
    "base-url-with-query": Case({},
                                "--base-url 'https://clinic.example/?q=1': it has a query ('?') or fragment ('#'): "
                                "give the address of the folder only",
                                args=("--base-url", "https://clinic.example/?q=1")),
    # Credentials would be printed in the feed, the page, the QR code and the handout.
    "base-url-with-password": Case({"site.yaml": "base_url: https://staff:s3cret@clinic.example/audio\n"},
                                   "site.yaml:1: base_url 'https://staff:s3cret@clinic.example/audio': it holds a user "
                                   "name or password, which would be printed in the feed, the page and the handout: "
                                   "give the address without 'user:password@' and protect the folder on the server"),
    "base-url-empty-fragment": Case({}, "--base-url 'https://clinic.example/audio#': it has a query ('?') or "
                                    "fragment ('#'): give the address of the folder only",
                                    args=("--base-url", "https://clinic.example/audio#")),
    "base-url-with-space": Case({}, "--base-url 'https://clinic.example/my audio': it holds a space, a line break or "
                                "another invisible character: write the address alone",
                                args=("--base-url", "https://clinic.example/my audio")),
    "base-url-port-out-of-range": Case({}, "--base-url 'https://clinic.example:70000/audio': it is not a web address "
                                       "(Port out of range 0-65535)",
                                       args=("--base-url", "https://clinic.example:70000/audio")),
    "base-url-open-bracket": Case({}, "--base-url 'https://[::1/audio': it is not a web address (Invalid IPv6 URL)",
                                  args=("--base-url", "https://[::1/audio")),
    "email-option-two-addresses": Case({},
                                       "--email: the email 'a@clinic.example, b@clinic.example' is not one address "
                                       "podcast directories can write to: give it alone, without a name or "
                                       "'mailto:', for example podcasts@clinic.example",
                                       args=("--email", "a@clinic.example, b@clinic.example")),
    "clinic-name-option-control-character": Case({}, "--clinic-name: 'clinic_name' holds the invisible character "
                                                  "U+001B: remove it", args=("--clinic-name", "River\x1b[31mside")),
    "contact-option-control-character": Case({}, "--contact: 'contact' holds the invisible character U+2028: "
                                              "remove it", args=("--contact", "Call us\u2028today")),
    "email-option-control-character": Case({}, "--email: 'email' holds the invisible character U+001B: remove it",
                                           args=("--email", "podcasts@clinic.example\x1b")),
    "logo-not-an-image": Case({"logo.jpg": "not a jpeg"},
                              "--logo: the logo 'logo.jpg' is not a PNG or JPEG image (or it is damaged): export it "
                              "again as PNG or JPEG", args=("--logo", "logo.jpg")),
    "voice-option-the-engine-lacks": Case({},
                                          "--voice: the espeak-ng engine has no voice 'klingon'; run 'audio-guide "
                                          "voices --engine espeak-ng' to list the ones it has", args=("--voice", "klingon")),
    "rate-option-out-of-range": Case({},
                                     "Invalid value for '--rate': 1000 is not in the range 80<=x<=400.",
                                     args=("--rate", "1000"), code=2),
    "content-folder-missing": Case({},
                                   "nowhere: no such content folder: pass the folder that holds your guides",
                                   args=("nowhere",)),
    "content-folder-without-guides": Case({"empty/readme.txt": "x"},
                                          "empty: no guides found: put each guide in its own folder as guide.md",
                                          args=("empty",)),
    "out-under-a-regular-file": Case({"a-file": "x"},
                                     "a-file/sub: cannot create the output folder (Not a directory): choose another "
                                     "with --out", args=("--out", "a-file/sub")),
    "out-is-a-regular-file": Case({"a-file": "x"},
                                  "a-file: cannot create the output folder (File exists): choose another with --out",
                                  args=("--out", "a-file")),
    "cache-under-a-regular-file": Case({"a-file": "x"},
                                       "a-file/sub: cannot create the cache folder (Not a directory): choose another "
                                       "with --cache-dir", args=("--cache-dir", "a-file/sub")),
}


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in sorted(folder.rglob("*"))} if folder.exists() else {}


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A real edition of a one-section guide, and the cache that made it."""
    work = tmp_path_factory.mktemp("previous")
    (work / "content" / "g").mkdir(parents=True)
    (work / "content" / "g" / "guide.md").write_text(GOOD)
    done = run_cli("build", "content", "--out", "output", "--cache-dir", str(work / "cache"), *ENGINE, "-q",
                   cwd=work)
    assert done.returncode == 0, done.stderr
    return work


def lay_out(work: Path, case: Case, previous: Path) -> None:
    files = {GUIDE: GOOD, **case.files}
    for name, data in files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    if case.previous:
        shutil.copytree(previous / "output", work / "output")
    else:  # a small stand-in for the previous edition
        (work / "output" / "g").mkdir(parents=True)
        (work / "output" / "feeds.opml").write_text("<opml/>\n")
        (work / "output" / "g" / "index.html").write_text("<p>the previous edition</p>\n")


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_clearly_and_touches_nothing(tmp_path, previous, name):
    case = CASES[name]
    lay_out(tmp_path, case, previous)
    before = snapshot(tmp_path / "output"), snapshot(tmp_path / "a-file")
    args = case.args if case.args[:1] in (("nowhere",), ("empty",)) else ("content", *case.args)
    done = run_cli("build", *args, *([] if "--out" in args else ["--out", "output"]),
                   *([] if "--cache-dir" in args else ["--cache-dir", str(previous / "cache")]), *ENGINE, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    print(f"\n{name}: exit {done.returncode}: {lines[-1] if lines else ''}")
    assert "Traceback" not in done.stderr
    assert done.returncode == case.code, done.stderr
    errors = [line for line in lines if "error" in line.lower()]
    assert errors == [lines[-1]], done.stderr  # one message, last; progress lines may come before it
    prefix = "error: " if case.code == 1 else "Error: "
    assert lines[-1] == prefix + case.message
    assert (snapshot(tmp_path / "output"), snapshot(tmp_path / "a-file")) == before
    assert not (tmp_path / ".output.staging").exists()


# A full disk, for real: a tmpfs just big enough for the previous edition,
# mounted in a private mount namespace (unshare needs no root where user
# namespaces are allowed), then a build into it.
_FULL_DISK = r"""
set -u
small=$1; previous=$2; listing=$3; size=$4; shift 4
mount -t tmpfs -o size="$size" tmpfs "$small" || exit 98
cp -a "$previous" "$small/output" || exit 99
"$@" --out "$small/output"; rc=$?
{ cd "$small/output" && find . -type f | LC_ALL=C sort | xargs sha256sum; ls -A "$small"; } > "$listing"
exit $rc
"""


def listing(folder: Path) -> str:
    done = subprocess.run("find . -type f | LC_ALL=C sort | xargs sha256sum", shell=True, cwd=folder,
                          capture_output=True, text=True, check=True)
    return done.stdout


def test_full_disk_is_refused_clearly_and_leaves_the_previous_edition(tmp_path, previous):
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare, "-rm", "true"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("needs a small filesystem of its own: 'unshare -rm' (user namespaces) is not allowed here")
    (tmp_path / "content" / "g").mkdir(parents=True)
    (tmp_path / "content" / "g" / "guide.md").write_text(GOOD)
    (tmp_path / "small").mkdir()
    files = [p for p in (previous / "output").rglob("*")]
    room = sum(p.stat().st_size for p in files if p.is_file()) + 4096 * len(files)
    script = tmp_path / "full-disk.sh"
    script.write_text(_FULL_DISK)
    done = subprocess.run(
        [unshare, "-rm", "sh", str(script), str(tmp_path / "small"), str(previous / "output"),
         str(tmp_path / "listing.txt"), f"{room * 3 // 2 // 1024}k", sys.executable, str(ROOT / "cli.py"), "build",
         "content", "--cache-dir", str(previous / "cache"), *ENGINE], capture_output=True, text=True, cwd=tmp_path,
        timeout=600)
    assert done.returncode not in (98, 99), f"could not set up the small filesystem: {done.stderr}"
    lines = done.stderr.strip().splitlines()
    print(f"\nfull-disk: exit {done.returncode}: {lines[-1] if lines else ''}")
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert [line for line in lines if "error" in line.lower()] == [lines[-1]]
    assert lines[-1].startswith(f"error: {tmp_path / 'small' / '.output.staging'}: cannot write the edition "
                                "(No space left on device): free some space, or choose another folder with --out; ")
    assert lines[-1].endswith("still holds the previous edition")
    # Byte for byte the previous edition, and the staging folder gone.
    assert (tmp_path / "listing.txt").read_text() == listing(previous / "output") + "output\n"
