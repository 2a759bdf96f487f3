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
a worker, with numpy mapped, costs ten times as much). The server
keeps a template for each engine, voice, rate and environment it is asked
for (the last few used): a process that starts the engine and loads the voice
once (an engine whose voice takes long to load, Piper's a second, loads it
in the server: ``Engine.preload``), and which never speaks. For each request
the template forks a process, in a process group of its own, that forks a
child per utterance to speak it into a file and exit; the files go, in order,
down a socket the caller passed along, read with a time limit, after which
that request's process group is killed (the template's instead if it never
got to the request, stuck starting its engine: it is not used again). On a
2-core machine a request of one sentence takes 11 ms (29 ms when each
request started an engine of its own), and each utterance about 3 ms of CPU
over speaking them all in one process.
Elsewhere each utterance gets a new interpreter running this module (slower,
equally pure).
"""

from __future__ import annotations

import collections
import gc
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
from ..system_calls import die_with_parent, fresh_python
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
        return _served(request, timeout)
    code, data = _spawned(request, timeout)
    if code != 0:
        reason = data.decode(errors="replace").strip().splitlines()
        raise EngineError(f"the speech engine failed: {reason[-1] if reason else f'exit code {code}'}")
    return _read(data, len(texts))


# The server: one small process per calling process, started on first use. It
# imports the engines and nothing else, so that forking it is cheap (a build
# worker, with numpy mapped, takes ten times as long to fork).

_server: dict = {}
_asking = threading.Lock()


def _connection() -> socket.socket:
    if _server.get("pid") != os.getpid():  # none yet, or one inherited through a fork
        mine, theirs = socket.socketpair()
        command, env = fresh_python(__name__, "--serve", str(os.getpid()))
        process = subprocess.Popen(command, stdin=theirs.fileno(), env=env, close_fds=True)
        theirs.close()
        _server.clear()
        _server.update(pid=os.getpid(), socket=mine, process=process)
    return _server["socket"]


def _served(request: dict, timeout: float) -> list[Speech]:
    """Ask the server to speak ``request``: a template answers down a socket
    of our own, which we read within ``timeout``."""
    request = {**request, "environ": dict(os.environ)}  # as the caller's is now, not when the server started
    answer, theirs = socket.socketpair()
    with answer:
        with theirs:
            # One request at a time on the shared socket: a Dask worker speaks
            # from several threads of one process (cluster.py).
            with _asking:
                template = _ask(request, theirs.fileno(), timeout)
        return _received(answer, len(request["texts"]), timeout, template)


def _ask(request: dict, answer: int, timeout: float) -> int:
    """Send ``request`` to the server, to be answered down ``answer``; the
    pid of the template it goes to."""
    connection = _connection()
    line = json.dumps({**request, "killed": _server.pop("killed", [])}).encode() + b"\n"
    try:
        socket.send_fds(connection, [line], [answer])
        return int(_read_line(connection, timeout))
    except (OSError, ValueError):  # the server is gone (killed, or never started): once more, afresh
        _server.clear()
    try:
        socket.send_fds(_connection(), [line], [answer])
        return int(_read_line(_server["socket"], timeout))
    except (OSError, ValueError) as exc:
        _server.clear()
        raise EngineError(f"the speech engine's process could not start ({exc})") from None


def _read_line(connection: socket.socket, timeout: float) -> bytes:
    connection.settimeout(timeout)
    line = b""
    while not line.endswith(b"\n"):
        chunk = connection.recv(64)
        if not chunk:
            raise OSError("the speech server closed")
        line += chunk
    return line


def _received(answer: socket.socket, count: int, timeout: float, template: int) -> list[Speech]:
    """The speeches that come down ``answer`` within ``timeout``: a line
    naming the process group that speaks them, then a line with a file for
    each speech, or a line with why the engine failed."""
    speeches, files, buffered, group = [], collections.deque(), b"", None
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([answer], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                if group:
                    _kill_group(group)
                else:  # the template never got to it: stuck starting its engine
                    _kill_group(template)
                    _forget(template)
                raise EngineError(f"no answer from the speech engine within {timeout:.0f} s")
            message, fds, _, _ = socket.recv_fds(answer, 1 << 16, 4)
            files.extend(fds)
            if not message:
                break
            buffered += message
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                header = json.loads(line)
                if "error" in header:
                    raise EngineError(f"the speech engine failed: {header['error'].strip().splitlines()[-1]}")
                if "group" in header:
                    group = header["group"]
                elif files:  # a speech: its file came with it
                    speeches.append(_from_file(files.popleft()))
                else:
                    raise EngineError("the speech engine sent a speech without its audio")
    finally:
        for fd in files:
            os.close(fd)
    if len(speeches) < count:
        raise EngineError("the speech engine stopped without an answer (its process ended)")
    if len(speeches) > count:
        raise EngineError("the speech engine sent more audio than was asked for")
    return speeches


def _from_file(fd: int) -> Speech:
    """The speech a speaker left in file ``fd`` (closed here): its samples
    read straight into the bytes that keep them."""
    try:
        size = os.fstat(fd).st_size
        head = b""
        while b"\n" not in head and len(head) < size:
            head += os.pread(fd, 4096, len(head))
        end = head.find(b"\n")
        header = json.loads(head[:end]) if end >= 0 else {"size": size}
        samples = os.pread(fd, header["size"], end + 1) if end >= 0 else b""
        if len(samples) != header["size"]:
            raise EngineError("the speech engine stopped mid-answer (its process ended)")
        return Speech(samples, header["rate"], tuple(map(tuple, header["words"])))
    finally:
        os.close(fd)


def _forget(template: int) -> None:
    """Have the server start afresh, on the next request, the template
    killed here: a request sent to it now would be lost."""
    with _asking:
        if _server.get("pid") == os.getpid():
            _server.setdefault("killed", []).append(template)


def _messages(connection: socket.socket):
    """(line, its descriptor) for each message on ``connection`` until it
    closes. Every message carries one descriptor, which comes with its first
    piece: a long message may come in pieces, and one piece may end one
    message and start the next."""
    buffered, fds = b"", collections.deque()
    while True:
        try:
            message, received, _, _ = socket.recv_fds(connection, 1 << 16, 4)
        except OSError:
            return
        if not message:
            return
        buffered += message
        fds.extend(received)
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            yield line, fds.popleft()


# Templates kept in the server, each for one (engine, voice, rate, environment):
# starting an engine and loading its voice took twice as long as speaking a
# short sentence, on every request. Past this many, the least recently used goes.
_TEMPLATES = 4


def _serve(parent: int) -> None:
    """The server's loop: pass each request on to the template for its
    engine, voice, rate and environment, started on first need."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build handles ^C; we leave when it closes
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # templates are reaped by the system
    connection = socket.socket(fileno=0)
    templates: dict[str, tuple[int, socket.socket]] = {}  # least recently used first
    for line, answer in _messages(connection):
        request = json.loads(line)
        for key, (pid, channel) in list(templates.items()):
            if pid in request["killed"]:
                channel.close()
                del templates[key]
        key = json.dumps([request["engine"], request["voice"], request["rate"], sorted(request["environ"].items())])
        pid = 0
        for _ in range(2):  # a template found gone (its engine failed to start) is replaced once
            if key not in templates:
                try:  # imported (and its voice loaded) here once, so that each template starts ready
                    load_engine_class(request["engine"]).preload(request["voice"])
                except Exception:
                    pass  # the template reports it
                templates[key] = _start_template(request, answer, [connection, *(c for _, c in templates.values())])
                while len(templates) > _TEMPLATES:  # it leaves once its requests are answered
                    templates.pop(next(iter(templates)))[1].close()
            templates[key] = templates.pop(key)
            pid, channel = templates[key]
            try:
                socket.send_fds(channel, [line + b"\n"], [answer])
                break
            except OSError:
                channel.close()
                del templates[key]
        os.close(answer)
        connection.sendall(f"{pid}\n".encode())


def _start_template(request: dict, answer: int, held: list[socket.socket]) -> tuple[int, socket.socket]:
    """(pid, channel) of a new template, which starts an engine and loads the
    voice, then answers each request sent down its channel."""
    mine, theirs = socket.socketpair()
    server = os.getpid()
    pid = os.fork()
    if pid == 0:  # the template: leave without running any cleanup of the server's
        code = _FAILED
        try:
            # What the server holds is not the template's to keep: a
            # caller's answer or a channel held open here would never close.
            os.close(answer)
            for channel in (*held, mine):
                channel.close()
            os.setpgid(0, 0)  # its own group, which a request's timeout kills if it is stuck starting
            die_with_parent(server)
            os.environ.clear()
            os.environ.update(request["environ"])
            code = _template(request, theirs)
        finally:
            os._exit(code)
    theirs.close()
    return pid, mine


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except OSError:  # the group is not formed yet, or already gone
            continue


def _template(request: dict, channel: socket.socket) -> int:
    """Start the engine, then answer each request that comes down
    ``channel`` in a process of its own, which forks one per utterance.
    This engine never speaks: every utterance starts from it pristine."""
    try:
        # An instance of its own: one engine's instance may take over the
        # library callback of another's.
        engine = load_engine_class(request["engine"])()
        engine.prepare(request["voice"], request["rate"])
    except Exception as exc:
        # No request may wait on a template that has gone: from here the
        # server's sends fail (it starts another), and those already sent
        # are answered.
        channel.shutdown(socket.SHUT_RD)
        failure = _failure(_reason(exc))
        for _, answer in _messages(channel):
            try:
                _write_all(answer, failure)
            except OSError:  # that caller has gone
                pass
            os.close(answer)
        return _FAILED
    # Out of the collector's sight: a collection in a speaker would otherwise
    # write to (and so copy) every page the template's objects lie on.
    gc.freeze()
    template = os.getpid()
    for line, answer in _messages(channel):
        if os.fork() == 0:
            code = _FAILED
            try:
                channel.close()
                code = _answer(engine, json.loads(line), answer, template)
            finally:
                os._exit(code)
        os.close(answer)
    # The server let this template go: its requests are answered before it leaves.
    try:
        while True:
            os.waitpid(-1, 0)  # with SIGCHLD ignored: returns once every child has ended
    except ChildProcessError:
        pass
    return 0


def _answer(engine, request: dict, answer: int, template: int) -> int:
    """Speak each text of ``request`` in a fork of this process, as many at
    once as it asks for, and send them down ``answer`` in order."""
    os.setpgid(0, 0)  # a group of its own and its speakers', which the request's timeout kills
    die_with_parent(template)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    out = socket.socket(fileno=answer)
    out.sendall(json.dumps({"group": os.getpid()}).encode() + b"\n")
    parallel = max(1, int(request.get("parallel", 1)))
    texts = collections.deque(request["texts"])
    running = collections.deque()  # (pid, its file, its word) of the children speaking, in order
    ended = []  # children that said how they ended, not yet reaped
    while texts and len(running) < parallel:
        running.append(_fork_speaker(engine, request, texts.popleft(), answer))
    while running:
        pid, file, word = running.popleft()
        try:
            # How it ended: the code it sent as it left, not waiting for the
            # system to tear it down (a millisecond of every utterance), or,
            # if it died without a word, its exit status.
            said = os.read(word, 1)
            os.close(word)
            if said:
                code = said[0]
                ended = [p for p in (*ended, pid) if os.waitpid(p, os.WNOHANG)[0] == 0]
            else:
                code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            if code != 0:
                reason = os.pread(file, os.fstat(file).st_size, 0) if said else b""  # what it said failed
                out.sendall(_failure(reason or f"the engine process ended with code {code}"))
                for pid, _, _ in running:
                    os.kill(pid, signal.SIGKILL)
                return _FAILED
            if texts:  # the next speaks while this one is passed on
                running.append(_fork_speaker(engine, request, texts.popleft(), answer))
            socket.send_fds(out, [b"{}\n"], [file])  # a speech: all of it is in the file
        finally:
            os.close(file)
    return 0


def _fork_speaker(engine, request: dict, text: str, answer: int) -> tuple[int, int, int]:
    # A file, not a pipe: the child writes all it has and leaves without
    # waiting for a reader, and its speech reaches the caller as that file,
    # copied once, into the caller's bytes, however far it is passed on.
    file = _scratch_file()
    word, say = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # speak one text, write it, leave
        code = _FAILED
        try:
            die_with_parent(parent)  # a hung engine goes with the request it hangs, however that ends
            os.close(answer)
            code, parts = _speak(engine, request, text)
            for part in parts:
                _write_all(file, part)
            os.write(say, bytes([code]))
        finally:
            os._exit(code)
    os.close(say)
    return pid, file, word


def _scratch_file() -> int:
    """A file that is gone once closed."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("speech", os.MFD_CLOEXEC)
    import tempfile

    fd, path = tempfile.mkstemp()
    os.unlink(path)
    return fd


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


def _speak(engine, request: dict, text: str) -> tuple[int, tuple[bytes, ...]]:
    """(exit code, one framed speech in two parts, its samples not copied
    into one) or (failure code, the reason as text)."""
    try:
        speech = engine.synthesize(text, request["voice"], request["rate"])
        header = {"rate": speech.sample_rate, "words": list(speech.words), "size": len(speech.samples)}
        return 0, (json.dumps(header).encode() + b"\n", speech.samples)
    except Exception as exc:
        return _FAILED, (_reason(exc),)


def _spawned(request: dict, timeout: float) -> tuple[int, bytes]:
    command, env = fresh_python(__name__)
    deadline, frames = time.monotonic() + timeout, []
    for text in request["texts"]:  # a new interpreter for each: pristine state without fork
        try:
            done = subprocess.run(command, input=json.dumps({**request, "text": text}).encode(),
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
    code, parts = _speak(engine, request, request["text"])
    for part in parts:
        (sys.stdout if code == 0 else sys.stderr).buffer.write(part)
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        _serve(int(sys.argv[2]))
    else:
        sys.exit(_main())
