"""Speak utterances each from pristine engine state, in short-lived processes.

Two reasons. libespeak-ng keeps state between calls that it never resets,
not even on re-initialisation (its pitch-flutter phase is a function-level
static), so the same sentence comes out differently depending on what was
spoken before it in the same process. Every utterance is therefore spoken by
a process of its own, forked from one whose engine has never spoken: its
audio is a pure function of (engine, voice, rate, text), whatever was spoken
before it, which the per-utterance speech cache (synth.py), reproducible
builds and incremental rebuilds rely on. And a hung or crashed engine takes
down only its own processes, which a timeout can kill.

Where the platform can fork, the calling worker (which never speaks itself)
forks one "template" process per request; the template starts the engine
and, for each utterance, forks a child that speaks it and exits: a fork of a
process whose engine is ready costs about a millisecond. Elsewhere each
utterance gets a new interpreter running this module (slower, equally pure).
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
    """``texts`` spoken by ``engine``, each from pristine engine state, within
    ``timeout`` seconds in all."""
    if not texts:
        return []
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
    if pid == 0:  # the template: leave without running any cleanup of the parent's
        code = _FAILED
        try:
            os.close(read_end)
            os.setpgid(0, 0)  # its own group, so that a timeout kills its children too
            code = _template(request, write_end)
        finally:
            os._exit(code)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                _kill_group(pid)
                raise EngineError(f"no answer from the speech engine within {timeout:.0f} s")
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks)


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except OSError:  # the group is not formed yet, or already gone
            continue


def _template(request: dict, out: int) -> int:
    """Start the engine, then speak each text in a fork of this process."""
    try:
        # A new instance even in a fork: one inherited from the parent may have
        # had its library callback taken over by another engine's instance.
        engine = load_engine_class(request["engine"])()
        if hasattr(engine, "prepare"):  # optional: load the voice once, before the forks
            engine.prepare(request["voice"], request["rate"])
    except Exception as exc:
        _write_all(out, _reason(exc))
        return _FAILED
    for text in request["texts"]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # speak one text, send it, leave
            code = _FAILED
            try:
                os.close(read_end)
                code, data = _speak(engine, request, text)
                _write_all(write_end, data)
            finally:
                os._exit(code)
        os.close(write_end)
        chunks = []
        while chunk := os.read(read_end, 1 << 20):
            chunks.append(chunk)
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
        code, data = os.waitstatus_to_exitcode(status), b"".join(chunks)
        if code != 0:
            _write_all(out, b"\n" + (data or f"the engine process ended with code {code}".encode()))
            return _FAILED
        _write_all(out, data)
    return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _reason(exc: Exception) -> bytes:
    if isinstance(exc, AudioGuideError):
        return str(exc).encode()
    return f"{type(exc).__name__}: {exc}".encode()  # the engine's own failure, reported as text


def _speak(engine, request: dict, text: str) -> tuple[int, bytes]:
    """(exit code, one framed speech) or (failure code, the reason as text)."""
    try:
        speech = engine.synthesize(text, request["voice"], request["rate"])
        header = {"rate": speech.sample_rate, "words": list(speech.words), "size": len(speech.samples)}
        return 0, json.dumps(header).encode() + b"\n" + speech.samples
    except Exception as exc:
        return _FAILED, _reason(exc)


def _spawned(request: dict, timeout: float) -> tuple[int, bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    deadline, frames = time.monotonic() + timeout, []
    for text in request["texts"]:  # a new interpreter for each: pristine state without fork
        try:
            done = subprocess.run([sys.executable, "-m", __name__], input=json.dumps({**request, "text": text}).encode(),
                                  capture_output=True, timeout=max(0.1, deadline - time.monotonic()), env=env)
        except subprocess.TimeoutExpired:
            raise EngineError(f"no answer from the speech engine within {timeout:.0f} s") from None
        if done.returncode != 0:
            return done.returncode, done.stderr
        frames.append(done.stdout)
    return 0, b"".join(frames)


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


def _main() -> int:
    request = json.load(sys.stdin)
    try:
        engine = load_engine_class(request["engine"])()
    except Exception as exc:
        sys.stderr.buffer.write(_reason(exc))
        return _FAILED
    code, data = _speak(engine, request, request["text"])
    (sys.stdout if code == 0 else sys.stderr).buffer.write(data)
    return code


if __name__ == "__main__":
    sys.exit(_main())
