"""``audio-guide say``: hear a few words, or one section, as the edition
speaks them (the guide's voice, rate, pauses and pronunciation lexicon),
through this computer's speakers or into a WAV file.

For trying a voice, a rate or a lexicon entry before building: nothing is
cached or published. Playback uses what the system already has (winsound on
Windows, afplay on macOS, PipeWire, PulseAudio, ALSA or ffplay elsewhere);
where none of them reaches a sound device, it says so rather than pretending.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from .errors import AudioGuideError, ConfigError
from .model import Guide, Pauses, Voice
from .reading import lexicon
from .reading.guides import GUIDE_FILE, file_language, read_guides, split_sentences
from .speaking.engine import DEFAULT_ENGINE, VoiceInfo, get_engine, resolve_voice, speech_timeout
from .speaking.isolation import speak_all
from .speaking.script import Utterance, section_script

NO_OUTPUT = "no audio output found{detail}: use --to FILE.wav"


@dataclass(frozen=True)
class Spoken:
    samples: bytes  # signed 16-bit little-endian mono PCM
    sample_rate: int
    voice: str
    rate: int

    @property
    def duration_ms(self) -> int:
        return len(self.samples) // 2 * 1000 // self.sample_rate


def has_guides(content_dir: Path) -> bool:
    folder = Path(content_dir)
    return folder.is_dir() and ((folder / GUIDE_FILE).is_file() or
                                any((p / GUIDE_FILE).is_file() for p in folder.iterdir() if p.is_dir()))


def choose_guide(content_dir: Path, name: str | None) -> Guide:
    """The guide called ``name`` (its output folder's name) in ``content_dir``,
    or its only guide: one folder's translations do not make it several, so
    without a name its guide.md is said."""
    guides = read_guides(content_dir)
    if name is None:
        if len({Path(g.path).parent for g in guides}) == 1:
            return guides[0]
        raise ConfigError(f"{content_dir} holds {len(guides)} guides: choose one with --guide NAME "
                          f"({', '.join(g.slug for g in guides)})")
    for guide in guides:
        if guide.slug == name:
            return guide
    raise ConfigError(f"--guide {name}: no such guide in {content_dir}; it has {', '.join(g.slug for g in guides)}")


def speak(*, text: str | None = None, section: int | None = None, guide: Guide | None = None,
          content_dir: Path | None = None, engine_name: str | None = None, voice: str | None = None,
          rate: int | None = None, pacing: str | None = None, default_engine: str = DEFAULT_ENGINE) -> Spoken:
    """Speak ``text``, or section ``section`` of ``guide`` with its
    announcement, as a build would: same engine, voice, rate, pauses and
    lexicon (``engine_name`` overrides the guide's, which overrides
    ``default_engine``, the site's)."""
    engine_name = engine_name or (guide.voice.engine if guide else None) or default_engine
    engine = get_engine(engine_name)
    style = guide.voice if guide else Voice()
    if pacing:
        style = style.paced(pacing)
    language = guide.language if guide else "en"
    where = "--voice" if voice else f"{guide.path}: 'voice'" if guide else "--voice"
    chosen = resolve_voice(engine, voice or style.name, language, content_dir, where)
    rate = rate or style.rate
    # The lexicon a build of this guide would use; without a guide, the starter one.
    words = lexicon.load(Path(guide.path).parent, content_dir, language, file_language(guide.path)) if guide else \
        lexicon.Lexicon(lexicon.read_lexicon(lexicon.STARTER))
    phonemes = engine.takes_phonemes
    if section is not None:
        if guide is None:
            raise ConfigError("--section needs a guide: pass --content FOLDER (and --guide NAME)")
        if not 1 <= section <= len(guide.sections):
            raise ConfigError(f"--section {section}: {guide.path} has sections 1 to {len(guide.sections)}")
        utterances = section_script(guide, section, style.pauses, words, phonemes)
    else:
        utterances = _text_script(text or "", style.pauses, words, phonemes)
    if not utterances:
        raise ConfigError("nothing to say: give some words, or --section N")
    return _synthesize(engine_name, utterances, chosen, rate)


def _text_script(text: str, pauses: Pauses, words: lexicon.Lexicon, phonemes: bool) -> list[Utterance]:
    script = []
    for sentence in split_sentences(" ".join(text.split())):
        spoken, spans = words.apply(sentence, phonemes) if words else (sentence, ())
        script.append(Utterance(sentence, "paragraph", pauses.sentence, 0, 0, spoken if spans else None, spans))
    return script


def _synthesize(engine_name: str, utterances: list[Utterance], voice: VoiceInfo, rate: int) -> Spoken:
    """Each utterance spoken as a build speaks it: from pristine engine state
    (speaking/isolation.py), so a seeded voice says it with the build's very samples."""
    texts = [u.speech for u in utterances]
    speeches = speak_all(engine_name, voice.path or voice.name, rate, texts, speech_timeout(texts),
                         parallel=os.cpu_count() or 1)
    chunks: list[bytes] = []
    sample_rate = None
    for i, (utterance, speech) in enumerate(zip(utterances, speeches)):
        if sample_rate is not None and speech.sample_rate != sample_rate:
            raise AudioGuideError(f"the {engine_name} engine changed its sample rate mid-way "
                                  f"({sample_rate} Hz, then {speech.sample_rate} Hz)")
        sample_rate = speech.sample_rate
        chunks.append(speech.samples)
        if i < len(utterances) - 1:  # the pause after each utterance but the last
            chunks.append(b"\0\0" * (sample_rate * utterance.pause_after // 1000))
    return Spoken(b"".join(chunks), sample_rate, voice.name, rate)


def write_wav(spoken: Spoken, path: Path) -> None:
    path = Path(path)
    try:
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(spoken.sample_rate)
            out.writeframes(spoken.samples)
    except OSError as exc:
        raise AudioGuideError(f"{path}: cannot write the WAV file ({exc.strerror})") from None


# Playing ------------------------------------------------------------------

# (program, arguments before the file): tried in order, the first that plays wins.
_PLAYERS = (
    ("pw-play", ()),
    ("paplay", ()),
    ("aplay", ("-q",)),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "error")),
)
# ffplay exits 0 even when it found no sound device; these say it did not play.
_FAILED = ("audio open failed", "failed to open", "could not initialize sdl", "no such device",
           "connection refused", "unknown pcm")


def play(spoken: Spoken) -> str:
    """Play ``spoken`` through the speakers; the player used. Raises
    AudioGuideError (NO_OUTPUT) where nothing reaches a sound device."""
    with tempfile.TemporaryDirectory(prefix="audio-guide-say-") as folder:
        path = Path(folder) / "say.wav"
        write_wav(spoken, path)
        if sys.platform == "win32":
            return _play_windows(path)
        players = (("afplay", ()),) if sys.platform == "darwin" else _PLAYERS
        tried = []
        for program, args in players:
            found = shutil.which(program)
            if not found:
                continue
            try:
                done = subprocess.run([found, *args, str(path)], capture_output=True, text=True,
                                      timeout=spoken.duration_ms / 1000 + 30, env=os.environ)
            except (OSError, subprocess.TimeoutExpired) as exc:
                tried.append(f"{program}: {exc}")
                continue
            failed = done.returncode != 0 or any(marker in done.stderr.lower() for marker in _FAILED)
            if not failed:
                return program
            lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
            reason = next((line for marker in _FAILED for line in lines if marker in line.lower()),
                          lines[-1] if lines else f"exit status {done.returncode}")
            tried.append(f"{program}: {reason}")
    raise AudioGuideError(NO_OUTPUT.format(detail=f" ({'; '.join(tried)})" if tried else ""))


def _play_windows(path: Path) -> str:
    import winsound

    try:
        winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_NODEFAULT)
    except RuntimeError as exc:
        raise AudioGuideError(NO_OUTPUT.format(detail=f" ({exc})")) from None
    return "winsound"
