"""Serve an output folder over HTTP (standard library only), to try an edition in a
podcast app or browser or serve it on a small clinic network: GET/HEAD, byte ranges,
conditional requests, CORS, and nothing outside the root or hidden. Several ranges
(``bytes=0-1,5-6``) get 200 and the whole file, as RFC 9110 14.2 allows: players
ask for one range at a time, so multipart/byteranges would serve no listener.

Many phones may ask at once and some clients misbehave, so the server bounds what
each costs (Limits): a listen backlog for a waiting room's worth of connections,
a cap on connections kept below the file descriptors it may open, deadlines for
an idle keep-alive connection, for a request's headers and for every write, and
a size for the headers. Over the cap (or out of descriptors) it refuses new
connections at once and goes on serving those it has."""

from __future__ import annotations

import errno
import io
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socket import gaierror
from socketserver import TCPServer
from urllib.parse import unquote_to_bytes

from .errors import ConfigError

CHUNK = 64 * 1024  # files are streamed: an audiobook can be hundreds of MB
TYPES = {
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".m4b": "audio/mp4", ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip", ".json": "application/json", ".xml": "application/rss+xml; charset=utf-8",
    ".opml": "text/x-opml", ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg", ".png": "image/png", ".svg": "image/svg+xml", ".pdf": "application/pdf",
    ".css": "text/css", ".js": "text/javascript", ".epub": "application/epub+zip",
}
# On every response: web players fetch transcripts and chapters cross-origin, and read range headers.
CORS = [("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Expose-Headers", "Content-Range, Content-Length, Accept-Ranges, ETag, Last-Modified")]
METHODS = "GET, HEAD, OPTIONS"
_RANGE = re.compile(r"bytes=\s*(\d*)-(\d*)\s*", re.IGNORECASE)  # one range: a list does not match
_TOKEN_COLON = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:")  # a header line starts with its name and a colon
# A Transfer-Encoding value: codings (tokens) separated by commas.
_CODINGS = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*")
# Control characters (an ESC in a request line could drive the terminal reading
# the -v log) and the backslash, so that an escape in the log is never ambiguous.
_LOG_ESCAPES = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7f, 0xa0)]} | {0x5c: "\\\\"}
# Sent by the accepting thread itself, without a handler, in one non-blocking write.
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: 24\r\nConnection: close\r\n\r\n503 Service Unavailable\n")


@dataclass(frozen=True)
class Limits:
    """What a client may cost the server (README: Serving it)."""

    backlog: int = 512  # connections the kernel queues until accepted: 5 made 200 phones wait up to a minute
    connections: int = 400  # served at once, one thread each; also kept within the descriptors allowed
    idle: float = 15.0  # seconds a kept-alive connection may wait for its next request
    head: float = 10.0  # seconds from a request's first byte to the end of its headers (slowloris)
    send: float = 60.0  # seconds one 64 KB write may take: a player that stops reading is let go
    head_bytes: int = 32 * 1024  # request line and headers together: 414 or 431 beyond
    header_lines: int = 100


class _TooLarge(Exception):
    """The request line (414) or the headers (431) are over the limit."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class _Deadline(io.RawIOBase):
    """The connection's input, read within a deadline when one is set: a socket
    timeout alone restarts with every byte, so a byte at a time would never end."""

    def __init__(self, sock):
        super().__init__()
        self.sock, self.deadline = sock, None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request's headers took too long")
            self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class Unsatisfiable(Exception):
    """The range starts beyond the end of the file: 416."""


def content_type(name: str) -> str:
    name = name.lower()
    if name.endswith(".chapters.json"):  # Podcasting 2.0 chapters
        return "application/json+chapters"
    return TYPES.get(os.path.splitext(name)[1], "application/octet-stream")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte, inclusive, a Range header asks for; None to send the whole
    file (no header, another unit, bad syntax or several ranges: RFC 9110 allows that)."""
    match = _RANGE.fullmatch(header or "")
    if not match or match.groups() == ("", ""):
        return None
    first, last = (_number(n, size) if n else None for n in match.groups())
    if first is None:  # suffix: the last N bytes
        if last == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - last), size - 1
    if last is not None and last < first:  # invalid, so ignored (RFC 9110 14.1.1)
        return None
    if first >= size:
        raise Unsatisfiable
    return first, min(last, size - 1) if last is not None else size - 1


def _number(digits: str, size: int) -> int:
    """A byte position; one past the end for any number no file reaches (int() would
    refuse one of over 4,300 digits, and a 500 is no answer to a Range)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else size + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: players send many small range requests
    default_request_version = "HTTP/1.0"  # so that even a garbled request line gets a status line
    _started = False  # whether a status line went out (if not, a 500 can still be sent)

    def do_GET(self) -> None:
        self._guarded(self._serve)

    do_HEAD = do_GET  # one code path, so HEAD has GET's headers; _send_file skips the body

    def do_OPTIONS(self) -> None:
        self._guarded(lambda: self._head(204, [
            ("Allow", METHODS), ("Access-Control-Allow-Methods", METHODS), ("Access-Control-Max-Age", "86400"),
            ("Access-Control-Allow-Headers", "Range, If-None-Match, If-Modified-Since")]))

    def version_string(self) -> str:
        return "audio-guide"  # the Server header: not the Python version

    def send_response(self, code: int, message: str | None = None) -> None:
        self._started = True
        super().send_response(code, message)
        for header in CORS:
            self.send_header(*header)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True  # a malformed request (400, 414, 501): answer plainly, hang up
        self._status(code)

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {(format % args).translate(_LOG_ESCAPES)}\n")

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # replaced by one that keeps to the deadlines
        self._input = _Deadline(self.connection)
        self.rfile = io.BufferedReader(self._input)

    def handle_one_request(self) -> None:
        """BaseHTTPRequestHandler's, within the limits: wait for a request no longer
        than the idle bound, read its head by the deadline and within its size, and
        refuse a request whose framing or Host is ambiguous."""
        limits = self.server.limits
        self.close_connection, self.command, self.requestline = True, None, ""
        self.request_version = self.default_request_version
        self._input.deadline = None
        self.connection.settimeout(limits.idle)
        try:
            if not self.rfile.peek(1):
                return  # the client hung up
            self._input.deadline = time.monotonic() + limits.head
            try:
                head = self._read_head(limits)
            except _TooLarge as refusal:
                return self.send_error(refusal.code)
            self._input.deadline = None
            self.connection.settimeout(limits.send)
            self.raw_requestline, reader = head[0], self.rfile
            self.rfile = io.BytesIO(b"".join(head[1:]))  # parse_request reads the headers from rfile
            try:
                if not self.parse_request():
                    return
            finally:
                self.rfile = reader
            if self._ambiguous(head[1:-1]):
                return self.send_error(400)
            if not hasattr(self, "do_" + self.command):
                return self.send_error(501)
            getattr(self, "do_" + self.command)()
            self.wfile.flush()
        except (TimeoutError, ConnectionError):
            self.close_connection = True  # idle, too slow, or gone: hang up without a word

    def _read_head(self, limits: Limits) -> list[bytes]:
        """The request line and header lines up to the blank line, raw."""
        lines, size = [], 0
        while True:
            line = self.rfile.readline(limits.head_bytes - size + 1)
            size += len(line)
            if size > limits.head_bytes:
                raise _TooLarge(414 if not lines else 431)
            if not line.endswith(b"\n"):
                raise ConnectionError("the client hung up within the request")
            lines.append(line)
            if line in (b"\r\n", b"\n"):
                return lines  # the end of the headers, or a blank request line (parse_request ignores it)
            if len(lines) > limits.header_lines + 1:
                raise _TooLarge(431)

    def _ambiguous(self, lines: list[bytes]) -> bool:
        """Whether the request could be read two ways (RFC 9112 6.3, 3.2): a body we do
        not read must not be taken for the next request, nor a request for another host."""
        if any(not _TOKEN_COLON.match(line) for line in lines):  # "Name : v", a folded line
            return True
        lengths = self.headers.get_all("Content-Length", [])
        codings = self.headers.get_all("Transfer-Encoding", [])
        hosts = self.headers.get_all("Host", [])
        if len(lengths) + len(codings) > 1 or len(hosts) > 1:
            return True
        if lengths and not re.fullmatch(r"[0-9]+", lengths[0].strip(" \t")):
            return True
        if codings and not _CODINGS.fullmatch(codings[0].strip(" \t")):
            return True
        version = tuple(int(n) for n in self.request_version[5:].split("."))  # parse_request checked it
        return not hosts and version >= (1, 1)  # HTTP/1.1 requires Host

    def _guarded(self, action) -> None:
        """Run action; never let an exception reach the client as a traceback."""
        self._started = False
        # A request body we do not read would be parsed as the next request.
        if self.headers.get("Content-Length", "0").strip() != "0" or "Transfer-Encoding" in self.headers:
            self.close_connection = True
        try:
            action()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the player hung up (seeking does that): nothing to say
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            self.log_error("error serving %r: %r", self.path, exc)
            self.close_connection = True
            if not self._started:
                self._status(500)

    def _head(self, code: int, headers) -> None:
        self.send_response(code)
        for header in headers:
            self.send_header(*header)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _status(self, code: int, headers=()) -> None:
        """A plain-text status response, e.g. ``404 Not Found``."""
        body = f"{code} {self.responses.get(code, ('Error',))[0]}\n".encode()
        self._head(code, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *headers])
        if self.command != "HEAD":
            self.wfile.write(body)

    def _segments(self) -> list[str] | None:
        """The decoded path segments ("" last for a trailing slash); None if any could climb
        out or name a hidden file. Checked decoded, so %2e%2e, %2f, %5c, %00 are caught."""
        path = self.path.split("?", 1)[0]
        if not path.startswith("/") or "\\" in path:
            return None
        try:  # self.path is the request line read as latin-1; names on disk are UTF-8
            segments = [unquote_to_bytes(raw.encode("latin-1")).decode("utf-8") for raw in path[1:].split("/")]
        except UnicodeError:
            return None
        # An empty segment ("//etc/passwd") would start an absolute path.
        if "" in segments[:-1] or any(s.startswith(".") or any(c in s for c in "/\\\x00") for s in segments):
            return None
        return segments

    def _resolve(self, names: list[str]) -> str | None:
        """The real path of root/names; None if a symlink leads out or into a hidden folder."""
        root = self.server.root
        real = os.path.realpath(os.path.join(root, *names))
        if os.path.commonpath([root, real]) != root:
            return None
        relative = os.path.relpath(real, root)
        return None if relative != "." and any(p.startswith(".") for p in relative.split(os.sep)) else real

    def _serve(self) -> None:
        segments = self._segments()
        names = [s for s in segments or [] if s]
        target = None if segments is None else self._resolve(names)
        if target and os.path.isdir(target):
            if segments[-1]:  # relative links in index.html need the slash
                path, mark, query = self.path.partition("?")
                return self._status(301, [("Location", path + "/" + mark + query)])
            target = self._resolve(names + ["index.html"])  # never a listing
        elif target and not segments[-1]:
            target = None  # "/episode.mp3/" is not a folder
        try:  # only regular files: a FIFO or device would hang or never end
            file = open(target, "rb") if target and os.path.isfile(target) else None
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE):
                return self._status(503, [("Retry-After", "5")])  # it exists: only the moment is wrong
            file = None
        if file is None:  # 404 for every refusal, not 403: do not confirm what exists
            return self._status(404)
        with file:
            self._send_file(file, target)

    def _send_file(self, file, path: str) -> None:
        info = os.fstat(file.fileno())
        size, modified = info.st_size, formatdate(info.st_mtime, usegmt=True)
        etag = f'"{size:x}-{info.st_mtime_ns:x}"'
        validators = [("ETag", etag), ("Last-Modified", modified), ("Cache-Control", "no-cache")]
        if self._not_modified(etag, info.st_mtime):
            return self._head(304, validators)
        if_range = self.headers.get("If-Range")  # a range of an older copy is useless
        try:
            span = parse_range(self.headers.get("Range"), size) \
                if if_range is None or if_range.strip() in (etag, modified) else None
        except Unsatisfiable:
            return self._status(416, [("Content-Range", f"bytes */{size}"), ("Accept-Ranges", "bytes")])
        first, last = span or (0, size - 1)
        headers = [("Content-Type", content_type(path)), ("Accept-Ranges", "bytes"), *validators,
                   ("Content-Length", str(last - first + 1))]
        if span:
            headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
        self._head(206 if span else 200, headers)
        if self.command != "GET":
            return
        file.seek(first)
        remaining = last - first + 1
        while remaining > 0 and (chunk := file.read(min(CHUNK, remaining))):
            self.wfile.write(chunk)
            remaining -= len(chunk)
        if remaining:  # the file shrank under us: the body is short, so hang up
            self.close_connection = True

    def _not_modified(self, etag: str, mtime: float) -> bool:
        match, since = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if match is not None:  # wins over If-Modified-Since (RFC 9110 13.2.2); weak comparison
            return match.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in match.split(",")]
        try:  # HTTP dates have whole seconds
            return bool(since) and int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False  # an unreadable date is ignored


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # Ctrl-C must not wait for a player holding a connection open
    block_on_close = False  # nor must closing the server

    def __init__(self, address: tuple[str, int], root: Path, verbose: bool, limits: Limits):
        self.root = os.path.realpath(root)  # containment is checked against the real root
        self.verbose, self.limits = verbose, limits
        self.request_queue_size = limits.backlog
        self.capacity = _capacity(limits.connections)
        self.active, self._count = 0, threading.Lock()
        self._spare = _spare()
        super().__init__(address, Handler)

    def server_close(self) -> None:
        super().server_close()
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None

    def get_request(self):
        try:
            return super().get_request()
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                self._shed()
            raise  # serve_forever drops this turn and goes on

    def _shed(self) -> None:
        """Out of descriptors, the waiting connection keeps the listening socket readable
        and serve_forever would spin: give up the spare descriptor to accept it, close it
        (its client hears a refusal, not silence), take the spare back. Without a spare,
        pause instead."""
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None
            self.socket.setblocking(False)  # never wait here: serve_forever's loop must go on
            try:
                self.socket.accept()[0].close()
            except OSError:
                pass
            finally:
                self.socket.setblocking(True)
            self._spare = _spare()
        if self._spare is None:
            time.sleep(0.1)

    def verify_request(self, request, client_address) -> bool:
        with self._count:
            admitted = self.active < self.capacity
            self.active += admitted
        if not admitted:  # answered without waiting, then closed by shutdown_request
            request.setblocking(False)
            try:
                request.send(BUSY)
            except OSError:
                pass
        return admitted

    def process_request(self, request, client_address) -> None:
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread, so no one else will count it out
            self._release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._count:
            self.active -= 1

    def server_bind(self) -> None:
        # HTTPServer's looks up the host's FQDN, which can stall on a network without DNS.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        if self.verbose:  # quiet by default: a hung-up player is not news
            super().handle_error(request, client_address)


def _capacity(wanted: int) -> int:
    """wanted, or fewer if the descriptors this process may open would run out: each
    connection holds its socket and, while answering, the file it sends."""
    try:
        import resource  # not on Windows
    except ImportError:
        return wanted
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return wanted if soft == resource.RLIM_INFINITY else max(1, min(wanted, (soft - 32) // 2))


def _spare() -> int | None:
    """A descriptor held in reserve, to refuse a connection when all the others are taken."""
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False,
                limits: Limits = Limits()) -> ThreadingHTTPServer:
    """A server for root, bound but not yet serving; port 0 picks a free port."""
    if not Path(root).is_dir():
        raise ConfigError(f"{root} is not a folder: build an edition first, or pass its output folder")
    try:
        return _Server((host, port), Path(root), verbose, limits)
    except (gaierror, UnicodeError) as exc:  # a name that does not resolve, or cannot be one
        raise ConfigError(f"cannot listen on {host} ({getattr(exc, 'strerror', None) or exc}): give an address "
                          "of this computer with --host, e.g. 127.0.0.1 or 0.0.0.0") from None
    except OSError as exc:
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(f"cannot listen on {host} ({exc.strerror}): it is not an address of this computer; "
                              "choose another with --host, e.g. 127.0.0.1 or 0.0.0.0") from None
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another with --port") from None


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False) -> None:
    """Print the URL and serve root until Ctrl-C."""
    with make_server(root, host, port, verbose) as server:
        print(f"Serving {root} at http://{host}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nStopped.", file=sys.stderr)
