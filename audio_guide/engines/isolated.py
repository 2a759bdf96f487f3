"""Speak a section's utterances in a fresh, short-lived process.

Two reasons. libespeak-ng keeps state between calls that it never resets,
not even on re-initialisation (its pitch-flutter phase is a function-level
static), so the same sentence comes out differently depending on what was
spoken before it in the same process: a fresh process per section makes the
audio a pure function of the request, which the cache and reproducible builds
rely on. And a hung or crashed engine takes down only its own process, which
a timeout can kill.

The child imports nothing heavy, so it starts in a few tens of milliseconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ..errors import AudioGuideError, EngineError
from . import Speech, get_engine

_CRASH_EXIT = 3


def speak_all(engine: str, voice: str, rate: int, texts: list[str], timeout: float) -> list[Speech]:
    """``texts`` spoken by ``engine`` in a new process, within ``timeout`` seconds."""
    request = json.dumps({"engine": engine, "voice": voice, "rate": rate, "texts": texts}).encode()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=request, capture_output=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise EngineError(f"no answer from the speech engine within {timeout:.0f} s") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"it stopped with exit code {done.returncode}"
        raise EngineError(f"the speech engine failed: {reason}")
    return _read(done.stdout, len(texts))


def _read(data: bytes, count: int) -> list[Speech]:
    speeches, pos = [], 0
    for _ in range(count):
        end = data.index(b"\n", pos)
        header = json.loads(data[pos:end])
        pos = end + 1 + header["size"]
        speeches.append(Speech(data[end + 1:pos], header["rate"], tuple(header["words"])))
    if pos != len(data):
        raise EngineError("the speech engine sent more audio than was asked for")
    return speeches


def _main() -> int:
    request = json.load(sys.stdin)
    out = sys.stdout.buffer
    try:
        engine = get_engine(request["engine"])
        for text in request["texts"]:
            speech = engine.synthesize(text, request["voice"], request["rate"])
            header = {"rate": speech.sample_rate, "words": list(speech.words), "size": len(speech.samples)}
            out.write(json.dumps(header).encode() + b"\n" + speech.samples)
    except AudioGuideError as exc:
        print(exc, file=sys.stderr)
        return _CRASH_EXIT
    except Exception as exc:  # the engine's own failure, reported to the parent as text
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return _CRASH_EXIT
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
