"""espeak-ng through its C library, in synchronous mode.

The library and its voice data come embedded in the ``espeakng-loader`` wheel,
so nothing has to be installed system-wide. Set ``AUDIO_GUIDE_ESPEAK_LIBRARY``
(and ``AUDIO_GUIDE_ESPEAK_DATA``, the folder holding ``espeak-ng-data``) to
use another build, for example a system install.

Synchronous mode hands back every buffer of audio with its events before
``espeak_Synth`` returns, so one utterance is one call, and its word events
carry their audio positions: timings straight from the engine.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from types import SimpleNamespace

from ..errors import EngineError
from .engine import EngineBase, Speech, VoiceInfo

AUDIO_OUTPUT_SYNCHRONOUS = 2
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
CHARS_UTF8 = 1
PHONEMES = 0x100  # espeakPHONEMES: read [[...]] in the text as phoneme mnemonics
PARAM_RATE = 1
EE_OK = 0


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


def locate_library() -> tuple[str, str | None]:
    """(library path, data folder) for libespeak-ng: the user's choice, else
    the embedded copy, else a system install."""
    library = os.environ.get("AUDIO_GUIDE_ESPEAK_LIBRARY")
    data = os.environ.get("AUDIO_GUIDE_ESPEAK_DATA")
    if library:
        return library, data
    try:
        import espeakng_loader
    except ImportError:
        found = ctypes.util.find_library("espeak-ng")
        if not found:
            raise EngineError(
                "espeak-ng is not available: run 'pip install espeakng-loader', or install espeak-ng "
                "and set AUDIO_GUIDE_ESPEAK_LIBRARY to its library"
            ) from None
        return found, data
    return espeakng_loader.get_library_path(), data or str(Path(espeakng_loader.get_data_path()).parent)


def load_binding(library: str) -> SimpleNamespace:
    """The handful of libespeak-ng calls we use, as plain Python callables.

    pyttsx3's engine supplies the same namespace over pyttsx3's own binding.
    """
    try:
        # RTLD_GLOBAL so that a later dlopen of the same soname (pyttsx3's own
        # binding does one) finds this copy instead of failing.
        lib = ctypes.CDLL(library, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise EngineError(f"cannot load the espeak-ng library {library}: {exc}") from None

    def fn(name, restype, *argtypes):
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, list(argtypes)
        return function

    initialize = fn("espeak_Initialize", ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
    set_callback = fn("espeak_SetSynthCallback", None, _Callback)
    set_parameter = fn("espeak_SetParameter", ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int)
    synth = fn("espeak_Synth", ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
               ctypes.c_uint, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p)
    list_voices = fn("espeak_ListVoices", ctypes.POINTER(ctypes.POINTER(_Voice)), ctypes.c_void_p)
    info = fn("espeak_Info", ctypes.c_char_p, ctypes.c_void_p)
    keep = []  # ctypes callbacks die with their Python object

    def register(callback):
        keep[:] = [_Callback(callback)]
        set_callback(keep[0])

    return SimpleNamespace(
        initialize=lambda data: initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0),
        set_callback=register,
        set_voice=fn("espeak_SetVoiceByName", ctypes.c_int, ctypes.c_char_p),
        set_rate=lambda rate: set_parameter(PARAM_RATE, rate, 0),
        synth=lambda text: synth(text, len(text) + 1, 0, 1, 0, CHARS_UTF8 | PHONEMES, None, None),
        voices=lambda: voice_list(_until_null(list_voices(None))),
        info=lambda: info(None).decode(),
    )


def _until_null(table):
    i = 0
    while table[i]:
        yield table[i][0]
        i += 1


def voice_list(voices) -> list[VoiceInfo]:
    """VoiceInfo for each espeak_VOICE structure."""
    found = []
    for voice in voices:
        # 'languages' is a list of (priority byte, name, NUL); the first is the main one.
        language = voice.languages[1:].split(b"\0", 1)[0].decode(errors="replace")
        name = voice.identifier.decode().rsplit("/", 1)[-1]
        found.append(VoiceInfo(name, language, voice.name.decode(errors="replace")))
    return sorted(found, key=lambda v: v.name)


class EspeakEngine(EngineBase):
    """libespeak-ng, driven directly through our own binding."""

    name = "espeak-ng"
    # Lexicon phonemes ([[...]]) reach it as phonemes; without them in the text
    # the flag that allows them changes no audio (checked on the whole guide).
    takes_phonemes = True

    def __init__(self, binding: SimpleNamespace | None = None, data: str | None = None):
        if binding is None:
            library, data = locate_library()
            binding = load_binding(library)
        self._api = binding
        self.sample_rate = binding.initialize(data.encode() if data else None)
        if self.sample_rate <= 0:
            raise EngineError(f"{self.name} could not start (voice data in {data})")
        self._chunks: list[bytes] = []
        self._words: list[tuple[int, int]] = []  # (1-based character position, ms)
        binding.set_callback(self._on_audio)
        self._voice: str | None = None

    def _on_audio(self, wav, count, events):
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            if events[i].type == EVENT_WORD:
                self._words.append((events[i].text_position, events[i].audio_position))
            i += 1
        return 0

    def version(self) -> str:
        return f"{self.name} libespeak-ng {self._api.info()} {self.sample_rate}Hz"

    def voices(self, near: Path | None = None) -> list[VoiceInfo]:
        return self._api.voices()

    def prepare(self, voice: str, rate: int) -> None:
        """Load ``voice`` before speaking (isolation.py calls it once, then
        forks a process per utterance, so no utterance pays for the load)."""
        self._select(voice)
        self._api.set_rate(rate)

    def _select(self, voice: str) -> None:
        if voice != self._voice:
            if self._api.set_voice(voice.encode()) != EE_OK:
                raise EngineError(f"{self.name} has no voice '{voice}': run 'audio-guide voices' to list them")
            self._voice = voice

    def synthesize(self, text: str, voice: str, rate: int) -> Speech:
        self._select(voice)
        self._api.set_rate(rate)
        self._chunks, self._words = [], []
        encoded = text.encode()
        status = self._api.synth(encoded)
        if status != EE_OK:
            raise EngineError(f"{self.name} failed to speak (status {status}): {text[:60]!r}")
        # espeak-ng counts 1-based characters (code points, as Python does),
        # even in UTF-8 input: after 'é' or '’' a byte count would run ahead.
        words = tuple((min(max(0, position - 1), len(text)), ms) for position, ms in self._words)
        return Speech(b"".join(self._chunks), self.sample_rate, words)
