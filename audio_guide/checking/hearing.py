"""check --listen: every episode heard back by a speech recognizer of its own
(checking.listen), and what it heard compared with the episode's transcripts:
the .txt for the word error rate, the .vtt for when each sentence should be
heard."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..durations import moment
from ..errors import AudioGuideError
from ..layout import FEED_FILE
from .feeds import guide_folders, qualified
from .problems import Problem
from .transcripts import single_spaced, timed_sentences


@dataclass(frozen=True)
class Heard:
    """One episode heard back by the recognizer (checking.listen)."""
    path: str  # the MP3, relative to the output folder
    wer: float | None  # None: not heard back, and ``note`` says why
    reference_words: int = 0
    unheard: tuple[tuple[int, str], ...] = ()  # (start in ms, sentence) of each sentence not heard
    note: str = ""


def _episodes(out_dir: Path) -> list[tuple[Path, str, str | None, str | None, str | None]]:
    """(guide folder, language, MP3, .txt, .vtt) of every episode the feeds
    name, the files relative to the guide folder (None: not named, or not
    under the guide's base URL)."""
    episodes = []
    for folder in guide_folders(out_dir):
        try:
            channel = ET.parse(folder / FEED_FILE).getroot().find("channel")
        except ET.ParseError:
            continue
        if channel is None:
            continue
        base = (channel.findtext("link") or "").strip()
        language = (channel.findtext("language") or "en").strip()

        def local(url):
            url = (url or "").strip()
            return unquote(url[len(base):].split("#", 1)[0]) if base and url.startswith(base) else None

        for item in channel.findall("item"):
            enclosure = item.find("enclosure")
            transcripts = {t.get("type"): local(t.get("url")) for t in item.findall(qualified("podcast:transcript"))}
            episodes.append((folder, language, local(enclosure.get("url") if enclosure is not None else None),
                             transcripts.get("text/plain"), transcripts.get("text/vtt")))
    return episodes


def listen_edition(out_dir: Path, recognizer, progress=None) -> tuple[list[Heard], list[Problem]]:
    """Hear every episode of every guide under ``out_dir`` back with
    ``recognizer`` (a listen.Recognizer) and compare it with its transcripts:
    the .txt for the word error rate, the .vtt for when each sentence should
    be heard. A WER above listen.WER_THRESHOLD, and each sentence not heard,
    is a problem at the MP3. An episode whose files are missing or damaged is
    skipped with a note: check_edition reports those. ``progress(done, total,
    message)`` is called as each episode is heard."""
    from . import listen

    episodes = _episodes(Path(out_dir))
    heard: list[Heard] = []
    problems: list[Problem] = []
    for done, (folder, language, mp3, txt, vtt) in enumerate(episodes, start=1):
        if mp3 is None:
            continue
        path = f"{folder.name}/{mp3}"
        if progress:
            progress(done, len(episodes), f"listening to {path}")
        files = [folder / f for f in (mp3, txt, vtt) if f]
        if txt is None or vtt is None or not all(f.is_file() for f in files):
            heard.append(Heard(path, None, note="not heard back: its MP3 or transcripts (.txt, .vtt) are missing"))
            continue
        if not recognizer.hears(language):
            heard.append(Heard(path, None, note=f"not heard back: {recognizer.name} does not hear language "
                                                f"'{language}'; give --listen-model a multilingual model"))
            continue
        try:
            words = recognizer.hear(folder / mp3, language)
        except AudioGuideError as exc:
            heard.append(Heard(path, None, note=f"not heard back: cannot be decoded ({exc})"))
            continue
        reference = (folder / txt).read_text(encoding="utf-8-sig", errors="replace")
        sentences = [listen.Sentence(*timed) for timed in
                     timed_sentences((folder / vtt).read_text(encoding="utf-8-sig", errors="replace"))]
        hearing = listen.compare(reference, sentences, words)
        heard.append(Heard(path, hearing.wer, hearing.reference_words,
                           tuple((s.start, s.text) for s in hearing.unheard)))
        if hearing.wer > listen.WER_THRESHOLD:
            problems.append(Problem(path, f"heard back by {recognizer.name}, its word error rate against {txt} is "
                                          f"{hearing.wer:.3f}, above {listen.WER_THRESHOLD:g}: the audio does not "
                                          "say this episode's words (another episode's audio, cut, or garbled?); "
                                          "listen to it, and rebuild the edition"))
        for sentence in hearing.unheard:
            text = single_spaced(sentence.text)
            problems.append(Problem(path, f"at {moment(sentence.start)} the sentence {text[:70]!r}"
                                          f"{'...' if len(text) > 70 else ''} was not heard (under "
                                          f"{listen.HEARD_FRACTION:.0%} of its words recognized there): listen "
                                          "at that time, and rebuild the edition"))
    return heard, problems


def format_heard(heard: list[Heard], recognizer_name: str) -> str:
    """The listening figures for people: one line per episode."""
    from .listen import WER_THRESHOLD

    out = [f"heard back with {recognizer_name}: word error rate per episode (a problem above {WER_THRESHOLD:g})"]
    for h in heard:
        if h.wer is None:
            out.append(f"  {h.path}: {h.note}")
            continue
        sentences = (f"{len(h.unheard)} sentence{'s' if len(h.unheard) != 1 else ''} not heard" if h.unheard
                     else "every sentence heard")
        out.append(f"  {h.path}: WER {h.wer:.3f} over {h.reference_words} words, {sentences}")
    return "\n".join(out)


def heard_json(heard: list[Heard], recognizer_name: str) -> dict:
    """The same, for report_json."""
    from .listen import HEARD_FRACTION, WER_THRESHOLD

    return {"recognizer": recognizer_name, "wer_threshold": WER_THRESHOLD, "heard_fraction": HEARD_FRACTION,
            "episodes": [{"path": h.path, "wer": None if h.wer is None else round(h.wer, 4),
                          "reference_words": h.reference_words,
                          "unheard": [{"start_ms": start, "text": text} for start, text in h.unheard],
                          **({"note": h.note} if h.note else {})} for h in heard]}
