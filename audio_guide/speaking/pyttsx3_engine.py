"""pyttsx3: the platform's own voices (SAPI5 on Windows, NSSpeechSynthesizer
on macOS, espeak-ng on Linux).

On Linux pyttsx3's high-level ``save_to_file`` is unreliable (empty files,
hangs), so we drive pyttsx3's own libespeak-ng binding in synchronous mode,
which also yields word timings. Elsewhere we use pyttsx3's driver to render
each utterance to a file and find the speech onset in the audio.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

from ..errors import EngineError
from ..ffmpeg import run_ffmpeg
from .engine import EngineBase, Speech, VoiceInfo
from .espeak import PHONEMES, EspeakEngine, load_binding, locate_library, voice_list

SAMPLE_RATE = 22050


def _pyttsx3_espeak_binding() -> tuple[SimpleNamespace, str | None]:
    library, data = locate_library()
    load_binding(library)  # loads the embedded library globally, for pyttsx3 to find
    try:
        from pyttsx3.drivers import _espeak
    except Exception as exc:  # pyttsx3 raises RuntimeError or OSError when espeak is missing
        raise EngineError(f"pyttsx3 cannot use espeak-ng: {exc}") from None
    return SimpleNamespace(
        initialize=lambda path: _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0, path, 0),
        set_callback=_espeak.SetSynthCallback,
        set_voice=_espeak.SetVoiceByName,
        set_rate=lambda rate: _espeak.SetParameter(_espeak.RATE, rate, 0),
        synth=lambda text: _espeak.Synth(text, flags=_espeak.CHARS_UTF8 | PHONEMES),
        voices=lambda: voice_list(_espeak.ListVoices()),
        info=lambda: _espeak.Info().decode(),
    ), data


class _PlatformVoices:
    """SAPI5 or NSSpeechSynthesizer through pyttsx3's driver."""

    name = "pyttsx3"

    def __init__(self):
        import pyttsx3

        self._engine = pyttsx3.init()
        self._driver = type(self._engine.proxy._driver).__module__

    def version(self) -> str:
        import pyttsx3

        return f"pyttsx3 {getattr(pyttsx3, '__version__', '')} {self._driver} {sys.platform}"

    def voices(self, near: Path | None = None) -> list[VoiceInfo]:
        found = []
        for voice in self._engine.getProperty("voices"):
            language = voice.languages[0] if voice.languages else ""
            if isinstance(language, bytes):
                language = language.decode(errors="replace")
            found.append(VoiceInfo(voice.id, str(language), voice.name or ""))
        return found

    def default_voice(self, language: str, near: Path | None = None) -> str:
        prefix = language.lower().replace("_", "-").split("-")[0]
        for voice in self.voices():
            if voice.language.lower().replace("_", "-").startswith(prefix):
                return voice.name
        return self._engine.getProperty("voice")

    def synthesize(self, text: str, voice: str, rate: int) -> Speech:
        self._engine.setProperty("voice", voice)
        self._engine.setProperty("rate", rate)
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "utterance.wav"
            self._engine.save_to_file(text, str(target))
            self._engine.runAndWait()
            if not target.exists() or target.stat().st_size == 0:
                raise EngineError(f"pyttsx3 wrote no audio for {text[:60]!r}")
            pcm = run_ffmpeg(["-i", str(target), "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]).stdout
        # This driver reports no word positions; the pipeline finds the onset.
        return Speech(pcm, SAMPLE_RATE, ())


class Pyttsx3Engine(EngineBase):
    """The default engine."""

    name = "pyttsx3"

    def __init__(self):
        if sys.platform in ("win32", "darwin"):
            self._impl = _PlatformVoices()
        else:
            binding, data = _pyttsx3_espeak_binding()
            self._impl = EspeakEngine(binding, data)
            self._impl.name = self.name

    def version(self) -> str:
        import pyttsx3

        return f"pyttsx3 {getattr(pyttsx3, '__version__', '?')} / {self._impl.version()}"

    def voices(self, near: Path | None = None) -> list[VoiceInfo]:
        return self._impl.voices()

    def default_voice(self, language: str, near: Path | None = None) -> str:
        return self._impl.default_voice(language)

    @property
    def takes_phonemes(self) -> bool:
        return getattr(self._impl, "takes_phonemes", False)

    def prepare(self, voice: str, rate: int) -> None:
        if isinstance(self._impl, EngineBase):  # the platform's voices need no preparing
            self._impl.prepare(voice, rate)

    def synthesize(self, text: str, voice: str, rate: int) -> Speech:
        return self._impl.synthesize(text, voice, rate)
