"""Pronunciation lexicons: how the engine should say a written term.

Three plain-text files, each optional but the first, read in this order, a
later one's entry replacing an earlier one's for the same term (in any case):

1. the starter lexicon shipped with audio-guide (``starter-lexicon.txt`` beside this module);
2. ``content/lexicon.txt``, shared by every guide;
3. ``content/<guide>/lexicon.txt``, the guide's own.

The starter lexicon is English and applies to English guides only; a
translation ``guide.es.md`` reads ``lexicon.es.txt`` in place of each
``lexicon.txt``.

One entry a line, ``WRITTEN = SAID``; ``#`` starts a comment. A term matches
as a whole word (not inside a longer word), and exactly as written: ``ER``
is not ``er``. ``(any case)`` after the term matches it in any case. SAID is
a respelling any engine can read; espeak-ng phonemes in ``[[ ]]`` may follow
it, for engines that take them (the others speak the respelling)::

    D&C = D and C
    miscarriage (any case) = miss carriage
    ibuprofen = eye byoo proh fen [[aIbju:pr'oUf@n]]

The lexicon changes only what the engine speaks: transcripts, tags, the page
and the feed keep the guide's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ContentError

FILE = "lexicon.txt"
STARTER = Path(__file__).with_name("starter-lexicon.txt")
_ANY_CASE = "(any case)"
_PHONEMES = re.compile(r"\[\[([^\[\]]+)\]\]\s*$")
_SAID_CHARS = re.compile(r"^[^\[\]{}<>\\]*$")  # nothing the engine reads as markup


@dataclass(frozen=True)
class Entry:
    term: str  # as written in the guide
    said: str  # a respelling any engine can read
    phonemes: str | None  # espeak-ng phoneme mnemonics, without the [[ ]]
    any_case: bool
    where: str  # file:line, for messages


class Lexicon:
    """A merged set of entries, applied to one utterance at a time."""

    def __init__(self, entries: list[Entry] = ()):
        merged: dict[str, Entry] = {}
        for entry in entries:  # later layers replace earlier ones
            merged.pop(entry.term.casefold(), None)
            merged[entry.term.casefold()] = entry
        self.entries = tuple(sorted(merged.values(), key=lambda e: (-len(e.term), e.term)))
        self._by_term = {e.term: e for e in self.entries if not e.any_case}
        self._by_folded = {e.term.casefold(): e for e in self.entries if e.any_case}
        if self.entries:
            # Longest first, so that OB-GYN wins over OB at the same place.
            alternatives = "|".join(f"(?i:{re.escape(e.term)})" if e.any_case else re.escape(e.term)
                                    for e in self.entries)
            self._pattern = re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])")
        else:
            self._pattern = None

    def __bool__(self) -> bool:
        return bool(self.entries)

    def apply(self, text: str, phonemes: bool = False) -> tuple[str, tuple[tuple[int, int, int, int], ...]]:
        """(what to say, spans): each span is (start, end in the said text,
        start, end in ``text``) of one replaced term."""
        if self._pattern is None:
            return text, ()
        out, spans, last, shift = [], [], 0, 0
        for match in self._pattern.finditer(text):
            entry = self._by_term.get(match.group()) or self._by_folded.get(match.group().casefold())
            if entry is None:  # matched a case-sensitive alternative of another case: impossible, but safe
                continue
            said = f"[[{entry.phonemes}]]" if phonemes and entry.phonemes else entry.said
            out.append(text[last:match.start()])
            start = match.start() + shift
            spans.append((start, start + len(said), match.start(), match.end()))
            out.append(said)
            shift += len(said) - (match.end() - match.start())
            last = match.end()
        if not spans:
            return text, ()
        out.append(text[last:])
        return "".join(out), tuple(spans)


def written_offset(spans: tuple[tuple[int, int, int, int], ...], char: int) -> int:
    """Where character ``char`` of the said text came from in the written
    text: a place inside a replaced term maps to the term's start."""
    shift = 0
    for said_start, said_end, written_start, written_end in spans:
        if char < said_start:
            break
        if char < said_end:
            return written_start
        shift = written_end - said_end
    return char + shift


def read_lexicon(path: Path) -> list[Entry]:
    """The entries of one lexicon file; a line it cannot use is a ContentError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(path, None, f"cannot read the lexicon ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError(path, line, "the lexicon is not UTF-8: save it as UTF-8 in your editor") from None
    entries, seen = [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue

        def fail(message):
            raise ContentError(path, number, message)

        if "=" not in line:
            fail(f"'{line}' has no '=': write the term as written, then '=', then how to say it, "
                 "for example 'D&C = D and C'")
        term, said = (part.strip() for part in line.split("=", 1))
        any_case = term.endswith(_ANY_CASE)
        if any_case:
            term = term[:-len(_ANY_CASE)].strip()
        if not term:
            fail("nothing before '=': write the term as it is written in the guide, for example 'hCG = H C G'")
        term = " ".join(term.split())
        if not term[0].isalnum():
            fail(f"'{term}' must start with a letter or digit: write the term as it is written in the guide")
        phonemes = None
        found = _PHONEMES.search(said)
        if found:
            phonemes, said = found.group(1).strip(), said[:found.start()].strip()
        if not said:
            fail(f"nothing to say for '{term}' after '=': write how to say it in letters (phonemes in "
                 "[[ ]] may follow, but engines without phonemes need the letters)")
        if not _SAID_CHARS.match(said):
            fail(f"'{said}' holds [ ] {{ }} < > or \\: write how to say '{term}' in plain letters; phonemes "
                 "go last, in [[ ]]")
        key = term.casefold()
        if key in seen:
            fail(f"'{term}' is already on line {seen[key]}: keep one entry per term")
        seen[key] = number
        entries.append(Entry(term, said, phonemes, any_case, f"{path}:{number}"))
    return entries


def load(guide_folder: Path, content_dir: Path | None = None, language: str = "en",
         translation: str | None = None) -> Lexicon:
    """The starter lexicon, then the shared one in ``content_dir``, then the
    guide's own: later entries win.

    The starter lexicon is English, so it is read for English guides only. A
    translation (``guide.es.md``: ``translation`` es) reads ``lexicon.es.txt``
    where its original reads ``lexicon.txt``, in both folders."""
    name = f"lexicon.{translation}.txt" if translation else FILE
    files = [STARTER] if language.split("-")[0].lower() == "en" else []
    if content_dir is not None and Path(content_dir).resolve() != Path(guide_folder).resolve():
        files.append(Path(content_dir) / name)
    files.append(Path(guide_folder) / name)
    entries = []
    for path in files:
        if path.is_file():
            entries += read_lexicon(path)
    return Lexicon(entries)
