"""The static server for an output folder, spoken to over real HTTP: what
podcast apps and browsers need (ranges, HEAD, validators, CORS, types) and
what must never happen (anything outside the root, hidden files, tracebacks)."""

from __future__ import annotations

import http.client
import random
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from audio_guide import serve as serve_module
from audio_guide.errors import ConfigError
from audio_guide.serve import make_server

SIZE = 2 * 1024 * 1024
SECRET = b"TOP-SECRET: this must never be served"
DATA = random.Random(20240601).randbytes(SIZE)  # random, so a misplaced byte cannot go unnoticed


@dataclass
class Site:
    root: Path
    port: int
    data: bytes


def start(root: Path, **options):
    server = make_server(root, port=0, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


def stop(server, thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "out"
    root.mkdir()
    (tmp_path / "secret.txt").write_bytes(SECRET)  # next to the root, never inside it
    (root / "episode.mp3").write_bytes(DATA)
    (root / "episode.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n", encoding="utf-8")
    (root / "episode.chapters.json").write_text('{"version": "1.2.0", "chapters": []}', encoding="utf-8")
    (root / "data.json").write_text("{}", encoding="utf-8")
    (root / "feed.xml").write_text("<rss/>", encoding="utf-8")
    (root / "notes.unknownext").write_bytes(b"?")
    (root / "guide").mkdir()
    (root / "guide" / "index.html").write_text("<h1>Guide</h1>", encoding="utf-8")
    (root / "empty").mkdir()
    (root / ".staging").mkdir()
    (root / ".staging" / "draft.mp3").write_bytes(SECRET)
    (root / ".hidden.txt").write_bytes(SECRET)
    try:
        (root / "leak.txt").symlink_to(tmp_path / "secret.txt")  # a file outside
        (root / "up").symlink_to(tmp_path, target_is_directory=True)  # a folder outside
        (root / "alias").symlink_to(root / ".staging", target_is_directory=True)  # a hidden folder
        (root / "latest.mp3").symlink_to("episode.mp3")  # inside the root: allowed
    except OSError:
        pytest.skip("symlinks are not available here")
    server, thread = start(root)
    yield Site(root, server.server_address[1], DATA)
    stop(server, thread)


def get(site: Site, path: str, headers: dict | None = None, method: str = "GET"):
    """(status, headers as a dict of lists, body) over http.client."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        found: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            found.setdefault(name.lower(), []).append(value)
        return response.status, found, body
    finally:
        conn.close()


def header(headers: dict, name: str) -> str | None:
    values = headers.get(name.lower())
    return values[0] if values else None


def raw(site: Site, target: bytes, method: bytes = b"GET") -> tuple[int, bytes]:
    """Send a request line byte for byte (no client normalisation): (status, whole response)."""
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    return int(response.split(b" ", 2)[1]), response


# Ranges ---------------------------------------------------------------------

def test_whole_file_advertises_ranges(site):
    status, headers, body = get(site, "/episode.mp3")
    assert status == 200
    assert header(headers, "Accept-Ranges") == "bytes"
    assert header(headers, "Content-Length") == str(SIZE)
    assert "content-range" not in headers
    assert body == site.data


@pytest.mark.parametrize("spec, first, last", [
    ("bytes=0-99", 0, 99),  # first bytes
    ("bytes=1000000-1000999", 1000000, 1000999),  # middle
    ("bytes=65530-200000", 65530, 200000),  # across chunk boundaries
    ("bytes=-500", SIZE - 500, SIZE - 1),  # suffix
    ("bytes=100-", 100, SIZE - 1),  # open-ended
    ("bytes=2097000-99999999", 2097000, SIZE - 1),  # last byte past the end is clamped
    ("bytes=-99999999", 0, SIZE - 1),  # suffix longer than the file
    ("bytes=5-5", 5, 5),  # one byte
])
def test_single_range(site, spec, first, last):
    status, headers, body = get(site, "/episode.mp3", {"Range": spec})
    assert status == 206
    assert header(headers, "Content-Range") == f"bytes {first}-{last}/{SIZE}"
    assert header(headers, "Content-Length") == str(last - first + 1)
    assert header(headers, "Accept-Ranges") == "bytes"
    assert header(headers, "Content-Type") == "audio/mpeg"
    assert body == site.data[first:last + 1]


@pytest.mark.parametrize("spec", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_unsatisfiable_range(site, spec):
    status, headers, body = get(site, "/episode.mp3", {"Range": spec})
    assert status == 416
    assert header(headers, "Content-Range") == f"bytes */{SIZE}"
    assert len(body) == int(header(headers, "Content-Length"))
    assert site.data[:100] not in body


@pytest.mark.parametrize("spec", [
    "bytes=0-1,5-6",  # several ranges: answered whole, as RFC 9110 allows
    "bytes=0-1, -5",
    "bytes=abc",  # invalid syntax is ignored
    "bytes=10-5",
    "bytes=-",
    "bytes 0-99",
    "items=0-99",  # another unit
])
def test_ignored_range_sends_whole_file(site, spec):
    status, headers, body = get(site, "/episode.mp3", {"Range": spec})
    assert status == 200
    assert "content-range" not in headers
    assert header(headers, "Content-Length") == str(SIZE)
    assert body == site.data


def test_if_range_only_honoured_for_the_same_file(site):
    _, headers, _ = get(site, "/episode.mp3", method="HEAD")
    status, _, body = get(site, "/episode.mp3", {"Range": "bytes=0-9", "If-Range": header(headers, "ETag")})
    assert (status, body) == (206, site.data[:10])
    status, _, body = get(site, "/episode.mp3", {"Range": "bytes=0-9", "If-Range": '"an-older-copy"'})
    assert (status, body) == (200, site.data)


# HEAD -------------------------------------------------------------------------

@pytest.mark.parametrize("path, extra", [
    ("/episode.mp3", {}),
    ("/episode.mp3", {"Range": "bytes=0-99"}),
    ("/episode.mp3", {"Range": f"bytes={SIZE}-"}),
    ("/episode.vtt", {}),
    ("/guide/", {}),
    ("/guide", {}),
    ("/missing.mp3", {}),
    ("/../secret.txt", {}),
])
def test_head_has_the_headers_of_get_and_no_body(site, path, extra):
    get_status, get_headers, get_body = get(site, path, extra)
    head_status, head_headers, head_body = get(site, path, extra, method="HEAD")
    assert head_status == get_status
    assert head_body == b""
    get_headers.pop("date"), head_headers.pop("date")
    assert head_headers == get_headers
    assert header(head_headers, "Content-Length") == str(len(get_body))


# Types, CORS ------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("/episode.mp3", "audio/mpeg"),
    ("/latest.mp3", "audio/mpeg"),
    ("/episode.vtt", "text/vtt; charset=utf-8"),
    ("/feed.xml", "application/rss+xml; charset=utf-8"),
    ("/episode.chapters.json", "application/json+chapters"),
    ("/data.json", "application/json"),
    ("/guide/", "text/html; charset=utf-8"),
    ("/notes.unknownext", "application/octet-stream"),
])
def test_content_types(site, path, expected):
    status, headers, _ = get(site, path, method="HEAD")
    assert status == 200
    assert header(headers, "Content-Type") == expected


@pytest.mark.parametrize("path", ["/episode.vtt", "/episode.chapters.json", "/episode.mp3", "/missing.vtt"])
def test_cors_on_responses(site, path):
    _, headers, _ = get(site, path)
    assert header(headers, "Access-Control-Allow-Origin") == "*"
    exposed = {h.strip().lower() for h in header(headers, "Access-Control-Expose-Headers").split(",")}
    assert {"content-range", "content-length", "accept-ranges"} <= exposed


def test_options_preflight(site):
    status, headers, body = get(site, "/episode.chapters.json", {
        "Origin": "https://player.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range"}, method="OPTIONS")
    assert status == 204
    assert body == b""
    assert header(headers, "Access-Control-Allow-Origin") == "*"
    methods = {m.strip() for m in header(headers, "Access-Control-Allow-Methods").split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    assert "range" in header(headers, "Access-Control-Allow-Headers").lower()


# Validators ------------------------------------------------------------------

def test_not_modified(site):
    status, headers, _ = get(site, "/episode.mp3", method="HEAD")
    etag, modified = header(headers, "ETag"), header(headers, "Last-Modified")
    assert status == 200 and etag and modified
    for condition in ({"If-None-Match": etag}, {"If-None-Match": f'"x", W/{etag}'}, {"If-None-Match": "*"},
                      {"If-Modified-Since": modified}):
        status, found, body = get(site, "/episode.mp3", condition)
        assert status == 304, condition
        assert body == b""
        assert header(found, "ETag") == etag
    # A stale tag wins over a matching date; a changed file gets a new tag.
    assert get(site, "/episode.mp3", {"If-None-Match": '"stale"', "If-Modified-Since": modified})[0] == 200
    (site.root / "episode.mp3").write_bytes(site.data[:1000])
    status, found, body = get(site, "/episode.mp3", {"If-None-Match": etag})
    assert (status, body) == (200, site.data[:1000])
    assert header(found, "ETag") != etag


def test_unreadable_if_modified_since_is_ignored(site):
    assert get(site, "/episode.vtt", {"If-Modified-Since": "yesterday"})[0] == 200


# Folders -----------------------------------------------------------------------

def test_directory_index_and_redirect(site):
    status, _, body = get(site, "/guide/")
    assert (status, body) == (200, b"<h1>Guide</h1>")
    status, headers, _ = get(site, "/guide")
    assert status == 301
    assert header(headers, "Location") == "/guide/"
    assert header(get(site, "/guide?v=2")[1], "Location") == "/guide/?v=2"


@pytest.mark.parametrize("path", ["/empty/", "/", "/episode.mp3/", "/missing/"])
def test_no_listings(site, path):
    status, _, body = get(site, path)
    assert status == 404
    assert b"episode" not in body


# Containment ------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    b"/../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E%2Fsecret.txt",
    b"/..%2fsecret.txt",
    b"/..%2Fsecret.txt",
    b"/guide/../../secret.txt",
    b"/guide/%2e%2e/%2e%2e/secret.txt",
    b"/%2e%2e%5csecret.txt",
    b"/..\\secret.txt",
    b"/\\..\\secret.txt",
    b"//etc/passwd",
    b"/%2fetc/passwd",
    b"///etc/passwd",
    b"/%00",
    b"/episode.mp3%00.txt",
    b"/\x00",
    b"/%ff%fe",
    b"secret.txt",
    b"http://localhost/../secret.txt",
    b"/leak.txt",  # a symlink inside the root to a file outside it
    b"/up/secret.txt",  # a symlinked folder that leads out
    b"/.staging/draft.mp3",  # hidden: staging folders are not served
    b"/%2estaging/draft.mp3",
    b"/.hidden.txt",
    b"/alias/draft.mp3",  # a symlink into a hidden folder
])
def test_nothing_outside_the_root(site, target):
    for method in (b"GET", b"HEAD"):
        status, response = raw(site, target, method)
        assert status in (403, 404), response[:200]
        assert SECRET not in response
        assert b"root:" not in response
        assert b"Traceback" not in response


def test_symlink_inside_the_root_is_served(site):
    status, _, body = get(site, "/latest.mp3", {"Range": "bytes=0-9"})
    assert (status, body) == (206, site.data[:10])


# Robustness --------------------------------------------------------------------

def test_keep_alive_framing(site):
    """Several answers on one connection: every Content-Length must be right."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        for path, extra, status, body in [
            ("/episode.mp3", {"Range": "bytes=0-9"}, 206, site.data[:10]),
            ("/missing", {}, 404, None),
            ("/episode.mp3", {"Range": f"bytes={SIZE}-"}, 416, None),
            ("/episode.vtt", {}, 200, (site.root / "episode.vtt").read_bytes()),
        ]:
            conn.request("GET", path, headers=extra)
            response = conn.getresponse()
            got = response.read()
            assert response.status == status
            assert body is None or got == body
    finally:
        conn.close()


def test_errors_are_plain_statuses(site, monkeypatch):
    def boom(name):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(serve_module, "content_type", boom)
    status, response = raw(site, b"/episode.mp3")
    assert status == 500
    assert b"internal detail" not in response and b"Traceback" not in response
    assert raw(site, b"/episode.mp3", b"POST")[0] == 501
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1 extra\r\n\r\n")
        response = sock.recv(1000)
    assert response.startswith(b"HTTP/1.1 400") and b"Traceback" not in response


def test_quiet_unless_verbose(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    for verbose in (False, True):
        server, thread = start(tmp_path, verbose=verbose)
        try:
            raw(Site(tmp_path, server.server_address[1], b""), b"/a.txt")
            raw(Site(tmp_path, server.server_address[1], b""), b"/missing")
        finally:
            stop(server, thread)
        err = capsys.readouterr().err
        if verbose:  # one line per request
            assert '"GET /a.txt HTTP/1.1" 200' in err and '"GET /missing HTTP/1.1" 404' in err
        else:
            assert err == ""


def test_missing_root_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        make_server(tmp_path / "nope", port=0)
