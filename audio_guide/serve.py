"""Serve an output folder over HTTP (standard library only), to try an edition in a
podcast app or browser or serve it on a small clinic network: GET/HEAD, byte ranges,
conditional requests, CORS, and nothing outside the root or hidden. Several ranges
(``bytes=0-1,5-6``) get 200 and the whole file, as RFC 9110 14.2 allows: players
ask for one range at a time, so multipart/byteranges would serve no listener."""

from __future__ import annotations

import os
import re
import sys
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
    first, last = match.groups()
    if not first:  # suffix: the last N bytes
        if int(last) == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - int(last)), size - 1
    start = int(first)
    if last and int(last) < start:  # invalid, so ignored (RFC 9110 14.1.1)
        return None
    if start >= size:
        raise Unsatisfiable
    return start, min(int(last), size - 1) if last else size - 1


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
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

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
        except OSError:
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

    def __init__(self, address: tuple[str, int], root: Path, verbose: bool):
        self.root = os.path.realpath(root)  # containment is checked against the real root
        self.verbose = verbose
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer's looks up the host's FQDN, which can stall on a network without DNS.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        if self.verbose:  # quiet by default: a hung-up player is not news
            super().handle_error(request, client_address)


def make_server(root: Path, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False) -> ThreadingHTTPServer:
    """A server for root, bound but not yet serving; port 0 picks a free port."""
    if not Path(root).is_dir():
        raise ConfigError(f"{root} is not a folder: build an edition first, or pass its output folder")
    try:
        return _Server((host, port), Path(root), verbose)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another with --port") from None


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False) -> None:
    """Print the URL and serve root until Ctrl-C."""
    with make_server(root, host, port, verbose) as server:
        print(f"Serving {root} at http://{host}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nStopped.", file=sys.stderr)
