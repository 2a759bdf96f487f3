"""Speak a section's utterances in a fresh, short-lived process.

Two reasons. libespeak-ng keeps state between calls that it never resets,
not even on re-initialisation (its pitch-flutter phase is a function-level
static), so the same sentence comes out differently depending on what was
spoken before it in the same process: a fresh process per section makes the
audio a pure function of the request, which the cache and reproducible builds
rely on. And a hung or crashed engine takes down only its own process, which
a timeout can kill.

Where the platform can fork, the child is a fork of the calling worker, which
never speaks itself (so its engine state is pristine): a few milliseconds.
Elsewhere it is a new interpreter running this module.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time

from ..errors import AudioGuideError, EngineError
from . import Speech, load_engine_class

_FAILED = 3


def speak_all(engine: str, voice: str, rate: int, texts: list[str], timeout: float) -> list[Speech]:
    """``texts`` spoken by ``engine`` in a new process, within ``timeout`` seconds."""
    request = {"engine": engine, "voice": voice, "rate": rate, "texts": texts}
    if hasattr(os, "fork"):
        load_engine_class(engine)  # import once here, so that each fork starts ready
        code, data = _forked(request, timeout)
    else:
        code, data = _spawned(request, timeout)
    if code != 0:
        reason = data.decode(errors="replace").strip().splitlines()
        raise EngineError(f"the speech engine failed: {reason[-1] if reason else f'exit code {code}'}")
    return _read(data, len(texts))


def _forked(request: dict, timeout: float) -> tuple[int, bytes]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: speak, send, and leave without running any cleanup of the parent's
        os.close(read_end)
        code, data = _speak(request)
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
        os._exit(code)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise EngineError(f"no answer from the speech engine within {timeout:.0f} s")
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks)


def _spawned(request: dict, timeout: float) -> tuple[int, bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=json.dumps(request).encode(),
                              capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise EngineError(f"no answer from the speech engine within {timeout:.0f} s") from None
    return done.returncode, done.stdout if done.returncode == 0 else done.stderr


def _speak(request: dict) -> tuple[int, bytes]:
    """(exit code, framed audio) or (failure code, the reason as text)."""
    try:
        # A new instance even in a fork: one inherited from the parent may have
        # had its library callback taken over by another engine's instance.
        engine = load_engine_class(request["engine"])()
        frames = []
        for text in request["texts"]:
            speech = engine.synthesize(text, request["voice"], request["rate"])
            header = {"rate": speech.sample_rate, "words": list(speech.words), "size": len(speech.samples)}
            frames += [json.dumps(header).encode(), b"\n", speech.samples]
        return 0, b"".join(frames)
    except AudioGuideError as exc:
        return _FAILED, str(exc).encode()
    except Exception as exc:  # the engine's own failure, reported as text
        return _FAILED, f"{type(exc).__name__}: {exc}".encode()


def _read(data: bytes, count: int) -> list[Speech]:
    speeches, pos = [], 0
    for _ in range(count):
        end = data.index(b"\n", pos)
        header = json.loads(data[pos:end])
        pos = end + 1 + header["size"]
        speeches.append(Speech(data[end + 1:pos], header["rate"], tuple(map(tuple, header["words"]))))
    if pos != len(data):
        raise EngineError("the speech engine sent more audio than was asked for")
    return speeches


if __name__ == "__main__":
    code, data = _speak(json.load(sys.stdin))
    (sys.stdout if code == 0 else sys.stderr).buffer.write(data)
    sys.exit(code)
