"""Speak utterances each from pristine engine state, in short-lived processes.

Two reasons. libespeak-ng keeps state between calls that it never resets,
not even on re-initialisation (its pitch-flutter phase is a function-level
static), so the same sentence comes out differently depending on what was
spoken before it in the same process; Piper's noise generator advances with
every sentence it speaks. Every utterance is therefore spoken by
a process of its own, forked from one whose engine has never spoken: its
audio is a pure function of (engine, voice, rate, text), whatever was spoken
before it, which the per-utterance speech cache (workers.py), reproducible
builds and incremental rebuilds rely on. And a hung or crashed engine takes
down only its own processes, which a timeout can kill.

Where the platform can fork, each calling process (a build worker) starts
one small server process that imports the engines and nothing else (forking
a worker, with numpy and scipy mapped, costs ten times as much). For each
request the server forks a template, which starts a fresh engine, loads the
voice, and forks a child per utterance that speaks it and exits (an engine
whose voice takes long to load, Piper's a second, loads it once in the
server, which never speaks: ``Engine.preload``); the answer
goes down a pipe the caller passed along, read with a time limit, after which
the template's whole process group is killed. On a 2-core machine this costs
about 5 ms of CPU per utterance over speaking them all in one process.
Elsewhere each utterance gets a new interpreter running this module (slower,
equally pure).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from ..errors import AudioGuideError, EngineError
from .engine import Speech, load_engine_class

_FAILED = 3


def speak_all(engine: str, voice: str, rate: int, texts: list[str], timeout: float,
              parallel: int = 1) -> list[Speech]:
    """``texts`` spoken by ``engine``, each from pristine engine state, within
    ``timeout`` seconds in all; up to ``parallel`` at once (for cores that
    would otherwise sit idle: the order of speaking changes no audio)."""
    if not texts:
        return []
    request = {"engine": engine, "voice": voice, "rate": rate, "texts": texts, "parallel": parallel}
    if hasattr(os, "fork") and hasattr(socket, "send_fds"):
        data = _served(request, timeout)
    else:
        code, data = _spawned(request, timeout)
        if code != 0:
            reason = data.decode(errors="replace").strip().splitlines()
            raise EngineError(f"the speech engine failed: {reason[-1] if reason else f'exit code {code}'}")
    return _read(data, len(texts))


# The server: one small process per calling process, started on first use. It
# imports the engines and nothing else, so that forking it is cheap (a build
# worker, with numpy and scipy mapped, takes ten times as long to fork).

_server: dict = {}
_asking = threading.Lock()


def _connection() -> socket.socket:
    if _server.get("pid") != os.getpid():  # none yet, or one inherited through a fork
        mine, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        process = subprocess.Popen([sys.executable, "-m", __name__, "--serve", str(os.getpid())],
                                   stdin=theirs.fileno(), env=env, close_fds=True)
        theirs.close()
        _server.update(pid=os.getpid(), socket=mine, process=process)
    return _server["socket"]


def _served(request: dict, timeout: float) -> bytes:
    """Ask the server to speak ``request``: it forks a template process that
    answers down a pipe of our own, which we read within ``timeout``."""
    request = {**request, "environ": dict(os.environ)}  # as the caller's is now, not when the server started
    read_end, write_end = os.pipe()
    try:
        # One request at a time on the shared socket: a Dask worker speaks
        # from several threads of one process (cluster.py).
        with _asking:
            connection = _connection()
            try:
                socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [write_end])
                pid = int(_read_line(connection, timeout))
            except (OSError, ValueError):  # the server is gone (killed, or never started): once more, afresh
                _server.clear()
                try:
                    connection = _connection()
                    socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [write_end])
                    pid = int(_read_line(connection, timeout))
                except (OSError, ValueError) as exc:
                    _server.clear()
                    raise EngineError(f"the speech engine's process could not start ({exc})") from None
    finally:
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
    return b"".join(chunks)


def _read_line(connection: socket.socket, timeout: float) -> bytes:
    connection.settimeout(timeout)
    line = b""
    while not line.endswith(b"\n"):
        chunk = connection.recv(64)
        if not chunk:
            raise OSError("the speech server closed")
        line += chunk
    return line


def _serve(parent: int) -> None:
    """The server's loop: for each request, fork a template to answer it."""
    from ..system_calls import die_with_parent

    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build handles ^C; we leave when it closes
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # templates are reaped by the system
    connection = socket.socket(fileno=0)
    buffered, pending = b"", []
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 4)
        except OSError:
            return
        if not message:
            return
        buffered += message
        if not buffered.endswith(b"\n"):  # a long request may come in pieces; its pipe with the first
            pending = fds or pending
            continue
        request, buffered = json.loads(buffered), b""
        out = (fds or pending)[0]
        pending = []
        try:  # imported (and its voice loaded) here once, so that each template starts ready
            load_engine_class(request["engine"]).preload(request["voice"])
        except Exception:
            pass  # the template reports it
        pid = os.fork()
        if pid == 0:  # the template: leave without running any cleanup of the server's
            code = _FAILED
            try:
                connection.close()
                os.setpgid(0, 0)  # its own group, so that a timeout kills its children too
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.environ.clear()
                os.environ.update(request.pop("environ", {}))
                code = _template(request, out)
            finally:
                os._exit(code)
        os.close(out)
        connection.sendall(f"{pid}\n".encode())


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except OSError:  # the group is not formed yet, or already gone
            continue


def _template(request: dict, out: int) -> int:
    """Start the engine, then speak each text in a fork of this process,
    whose engine has never spoken."""
    try:
        # A new instance for each request: one engine's instance may take over
        # the library callback of another's.
        engine = load_engine_class(request["engine"])()
        engine.prepare(request["voice"], request["rate"])
    except Exception as exc:
        _write_all(out, _failure(_reason(exc)))
        return _FAILED
    parallel = max(1, int(request.get("parallel", 1)))
    running: list[tuple[int, int]] = []  # (pid, read end) of the children speaking, in order
    for text in request["texts"]:
        running.append(_fork_speaker(engine, request, text))
        if len(running) >= parallel and not _collect(*running.pop(0), out):
            return _FAILED
    while running:
        if not _collect(*running.pop(0), out):
            return _FAILED
    return 0


def _fork_speaker(engine, request: dict, text: str) -> tuple[int, int]:
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
    return pid, read_end


def _collect(pid: int, read_end: int, out: int) -> bool:
    """Pass one child's speech on; False (and the reason passed on) if it failed."""
    chunks = []
    while chunk := os.read(read_end, 1 << 20):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    code, data = os.waitstatus_to_exitcode(status), b"".join(chunks)
    if code != 0:
        _write_all(out, _failure(data.decode(errors="replace") if data else
                                 f"the engine process ended with code {code}"))
        return False
    _write_all(out, data)
    return True


def _failure(reason: str | bytes) -> bytes:
    if isinstance(reason, bytes):
        reason = reason.decode(errors="replace")
    return json.dumps({"error": reason}).encode() + b"\n"


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
    while len(speeches) < count:
        end = data.find(b"\n", pos)
        if end < 0:
            raise EngineError("the speech engine stopped without an answer (its process ended)")
        header = json.loads(data[pos:end])
        if "error" in header:
            raise EngineError(f"the speech engine failed: {header['error'].strip().splitlines()[-1]}")
        pos = end + 1 + header["size"]
        if pos > len(data):
            raise EngineError("the speech engine stopped mid-answer (its process ended)")
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
    if sys.argv[1:2] == ["--serve"]:
        _serve(int(sys.argv[2]))
    else:
        sys.exit(_main())
