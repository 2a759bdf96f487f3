"""`audio-guide say`: a few words or one section, to a WAV file or the
speakers, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from .conftest import CONTENT, ROOT, ffprobe, run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "languages"


def read_wav(path: Path) -> tuple[int, int, int, float]:
    """(channels, sample width, sample rate, seconds), read with the standard library."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes() / wav.getframerate()


def test_say_text_to_a_wav_file(tmp_path):
    target = tmp_path / "words.wav"
    # Run where there is no content/: the words are said with the default voice.
    done = run_cli("say", "Take all the time you need. There is no right way to feel.", "--to", str(target),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    channels, width, rate, seconds = read_wav(target)
    assert (channels, width) == (1, 2) and 8000 <= rate <= 48000
    # Thirteen words at 150 a minute, and a pause between the two sentences.
    assert 3 < seconds < 10
    assert done.stdout.startswith(f"{target}: {seconds:.1f} s, voice ")
    probed = ffprobe(target)
    stream = probed["streams"][0]
    assert probed["format"]["format_name"] == "wav" and stream["codec_name"] == "pcm_s16le"
    assert abs(float(probed["format"]["duration"]) - seconds) < 0.01


def test_say_a_section_of_the_guide(tmp_path):
    target = tmp_path / "section-2.wav"
    done = run_cli("say", "--section", "2", "--to", str(target), "--content", str(CONTENT))
    assert done.returncode == 0, done.stderr
    seconds = read_wav(target)[3]
    from audio_guide.reading.guides import read_guides

    guide = read_guides(CONTENT)[0]
    words = sum(len(s.text.split()) for c in guide.sections[1].chapters for b in c.blocks for s in b.sentences)
    # As fast as the voice speaks (150 words a minute), and not slower than the pauses allow.
    assert words / 150 * 60 * 0.7 < seconds < words / 150 * 60 * 2
    assert float(ffprobe(target)["format"]["duration"]) == pytest.approx(seconds, abs=0.01)
    shorter = run_cli("say", "--section", "2", "--rate", "300", "--to", str(tmp_path / "fast.wav"),
                      "--content", str(CONTENT))
    assert shorter.returncode == 0 and read_wav(tmp_path / "fast.wav")[3] < seconds * 0.8


def test_say_uses_the_guides_language(tmp_path):
    target = tmp_path / "es.wav"
    done = run_cli("say", "--section", "1", "--guide", "small-steps-es", "--content", str(FIXTURE), "--to",
                   str(target))
    assert done.returncode == 0, done.stderr
    assert ", voice es at 150 wpm" in done.stdout and read_wav(target)[3] > 3
    # A translation beside its guide does not make two guides: unnamed, the guide is said in its own language.
    original = run_cli("say", "--section", "1", "--content", str(FIXTURE), "--to", str(target))
    assert original.returncode == 0 and ", voice en at 150 wpm" in original.stdout, original.stderr
    two = tmp_path / "two"
    for name in ("small-steps", "more-steps"):
        (two / name).mkdir(parents=True)
        for guide in (FIXTURE / "small-steps").iterdir():
            (two / name / guide.name).write_bytes(guide.read_bytes())
    ambiguous = run_cli("say", "--section", "1", "--content", str(two), "--to", str(target))
    assert ambiguous.returncode == 1 and "Traceback" not in ambiguous.stderr
    assert ambiguous.stderr.strip() == (f"error: {two} holds 4 guides: choose one with --guide NAME "
                                        "(more-steps, more-steps-es, small-steps, small-steps-es)")


def test_say_refuses_what_it_cannot_do(tmp_path):
    neither = run_cli("say", cwd=tmp_path)
    assert neither.returncode == 2 and "give either TEXT or --section N" in neither.stderr
    not_wav = run_cli("say", "Hello.", "--to", str(tmp_path / "x.mp3"), cwd=tmp_path)
    assert not_wav.returncode == 2 and "give a name ending in .wav" in not_wav.stderr
    too_far = run_cli("say", "--section", "9", "--to", str(tmp_path / "x.wav"), "--content", str(CONTENT))
    assert too_far.returncode == 1 and "--section 9:" in too_far.stderr and "sections 1 to 6" in too_far.stderr


def _no_sound_device() -> bool:
    """Whether this machine has no sound device a player could reach."""
    if sys.platform != "linux":
        return False
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"))
    return not (Path("/dev/snd").exists() or os.environ.get("PULSE_SERVER") or (runtime / "pulse").exists()
                or (runtime / "pipewire-0").exists())


def _message(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    return done.stderr.strip()


def test_without_a_player_say_asks_for_a_file(tmp_path):
    # No player on PATH at all: nothing is tried.
    env = {**os.environ, "PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "say", "Hello."], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=120)
    assert _message(done) == "error: no audio output found: use --to FILE.wav"


@pytest.mark.skipif(not _no_sound_device(), reason="this machine has a sound device")
def test_without_a_sound_device_say_asks_for_a_file(tmp_path):
    # The players this machine has, which find no device to play on.
    message = _message(run_cli("say", "Hello.", cwd=tmp_path))
    assert message.startswith("error: no audio output found") and message.endswith(": use --to FILE.wav")
    assert len(message.splitlines()) == 1


def test_voices_for_spanish():
    done = run_cli("voices", "--language", "es")
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert "es" in names and "es-419" in names and not any(n.startswith("en") for n in names)
    assert "--language" in run_cli("voices", "--help").stdout and "say" in run_cli("--help").stdout
