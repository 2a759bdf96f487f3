"""The server's limits, met by real misbehaving clients over real sockets: idle
and slow connections are let go, connections over the cap and beyond the
descriptors are refused without stopping the others, oversized or ambiguous
request heads get a status and a hang-up, and nothing a client sends reaches
the log raw. The bounds are shortened here (Limits) so that each test takes
about a second."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_guide.errors import ConfigError
from audio_guide.serve import Limits, make_server

from .conftest import ROOT
from .test_serve import Site, get, start, stop

BODY = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "episode.vtt").write_bytes(BODY)
    (tmp_path / "episode.mp3").write_bytes(bytes(range(256)) * 40)
    return tmp_path


def serving(root: Path, **limits):
    server, thread = start(root, limits=Limits(**limits))
    return server, thread, Site(root, server.server_address[1], b"")


def exchange(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send data, then read until the server hangs up: everything it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def statuses(response: bytes) -> list[int]:
    """The status of every response in response (no body here holds a status line)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", response)]


def closes_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server hangs up on sock (EOF or reset) before seconds pass."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def wait_until(condition, seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# Idle and slow clients ------------------------------------------------------

def test_idle_connections_are_closed_after_the_bound(root):
    server, thread, site = serving(root, idle=0.3)
    try:
        silent = socket.create_connection(("127.0.0.1", site.port))  # connects, never asks
        kept = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
        kept.request("GET", "/episode.vtt")
        assert kept.getresponse().read() == BODY  # kept alive after its answer, then idle
        assert closes_within(silent, 5)
        assert closes_within(kept.sock, 5)
        assert wait_until(lambda: server.active == 0)
        silent.close()
        kept.close()
    finally:
        stop(server, thread)


def test_slowloris_does_not_hold_a_slot_past_the_header_deadline(root):
    server, thread, site = serving(root, connections=1, head=0.5, idle=5)
    try:
        slow = socket.create_connection(("127.0.0.1", site.port), timeout=10)
        slow.sendall(b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\n")
        # While it holds the only slot, others are refused at once, not queued.
        assert statuses(exchange(site.port, b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\n\r\n")) == [503]
        hung_up = False
        for byte in b"X-Slow: " + b"a" * 400:  # a byte every 50 ms: 20 s if never cut off
            try:
                slow.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                hung_up = True
                break
            time.sleep(0.05)
            if closes_within(slow, 0.001):
                hung_up = True
                break
        assert hung_up, "a request head sent a byte at a time was never cut off"
        slow.close()
        assert wait_until(lambda: server.active == 0)
        assert get(site, "/episode.vtt")[::2] == (200, BODY)  # the slot is free again
    finally:
        stop(server, thread)


def test_connections_over_the_cap_are_refused_and_the_rest_served(root):
    server, thread, site = serving(root, connections=2)
    try:
        first = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
        first.request("GET", "/episode.vtt")
        assert first.getresponse().read() == BODY
        second = socket.create_connection(("127.0.0.1", site.port))
        assert wait_until(lambda: server.active == 2)
        refused = exchange(site.port, b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert statuses(refused) == [503] and b"Retry-After: 5" in refused
        first.request("GET", "/episode.vtt")  # those already admitted are still served
        assert first.getresponse().read() == BODY
        second.close()
        assert wait_until(lambda: server.active == 1)
        assert get(site, "/episode.vtt")[::2] == (200, BODY)
        first.close()
    finally:
        stop(server, thread)


# Out of file descriptors: the server in a process of its own, with few -------

SERVER = """
import resource, sys
from pathlib import Path
from audio_guide.serve import Limits, make_server
server = make_server(Path(sys.argv[1]), port=0, limits=Limits(idle=30))
if sys.argv[2] == "beyond":  # admit more than the descriptors allow: accept() itself fails
    server.capacity = 10_000
print(server.server_address[1], server.capacity, flush=True)
server.serve_forever(poll_interval=0.05)
"""
DESCRIPTORS = 64


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/<pid>/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def few_descriptors():
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
@pytest.mark.parametrize("mode", ["capped", "beyond"])
def test_a_flood_beyond_the_descriptors_neither_spins_nor_stops_the_server(root, mode):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(root), mode], stdout=subprocess.PIPE, text=True,
                              env=env, preexec_fn=few_descriptors)
    flood: list[socket.socket] = []
    try:
        port, capacity = map(int, server.stdout.readline().split())
        assert capacity < DESCRIPTORS // 2 or mode == "beyond"
        waiting = socket.create_connection(("127.0.0.1", port), timeout=10)  # admitted before the flood
        time.sleep(0.2)
        for _ in range(3 * DESCRIPTORS):
            flood.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        time.sleep(0.3)  # the flood is accepted or refused
        before, start = cpu_seconds(server.pid), time.monotonic()
        time.sleep(1.0)
        busy = (cpu_seconds(server.pid) - before) / (time.monotonic() - start)
        assert busy < 0.3, f"the server used {busy:.0%} of a core while the flood waited"
        waiting.sendall(b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_all(waiting)
        if mode == "capped":  # admitted within the descriptors: the file can still be opened
            assert statuses(answer) == [200] and answer.endswith(BODY)
        else:  # every descriptor taken by the flood: a plain refusal, not silence
            assert statuses(answer) in ([200], [503])
        waiting.close()
        for sock in flood:
            sock.close()
        flood.clear()

        def served() -> bool:
            try:
                request = b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                return statuses(exchange(port, request, 2)) == [200]
            except OSError:
                return False

        assert wait_until(served, 10), "the server did not serve again once the flood was gone"
        assert server.poll() is None
    finally:
        for sock in flood:
            sock.close()
        server.kill()
        server.wait(timeout=10)
        server.stdout.close()


# Request heads ------------------------------------------------------------------

@pytest.mark.parametrize("head, status", [
    (b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 40_000 + b"\r\n\r\n", 431),
    (b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-%d: %s\r\n" % (n, b"a" * 1000) for n in range(40)) + b"\r\n", 431),  # many, none long
    (b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * 150 + b"\r\n", 431),  # too many lines
    (b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
])
def test_oversized_heads_are_refused_and_closed(root, head, status):
    server, thread, site = serving(root)
    try:
        response = exchange(site.port, head + b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert statuses(response) == [status]  # answered, then closed: the second request is never read
    finally:
        stop(server, thread)


def test_heads_within_the_limits_are_served(root):
    server, thread, site = serving(root)
    try:
        big = {f"X-{n}": "a" * 200 for n in range(90)}  # 90 lines, 20 KB
        assert get(site, "/episode.vtt", big)[::2] == (200, BODY)
    finally:
        stop(server, thread)


@pytest.mark.parametrize("spec, status, span", [
    ("bytes=" + "9" * 5000 + "-", 416, None),  # starts past any file
    ("bytes=0-" + "9" * 5000, 206, (0, 10239)),  # ends past the file: clamped to it
    ("bytes=-" + "9" * 5000, 206, (0, 10239)),  # a suffix longer than the file: all of it
    ("bytes=" + "0" * 5000 + "5-" + "0" * 5000 + "9", 206, (5, 9)),  # leading zeros are still numbers
])
def test_ranges_with_thousands_of_digits(root, spec, status, span):
    server, thread, site = serving(root)
    try:
        code, headers, body = get(site, "/episode.mp3", {"Range": spec})
        assert code == status
        if span:
            assert body == (bytes(range(256)) * 40)[span[0]:span[1] + 1]
    finally:
        stop(server, thread)


SMUGGLED = b"GET /episode.mp3 HTTP/1.1\r\nHost: x\r\n\r\n"  # a body that would be read as a second request


@pytest.mark.parametrize("headers", [
    b"Content-Length: 0\r\nContent-Length: %d\r\n" % len(SMUGGLED),
    b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(SMUGGLED),
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
    b"Content-Length: +%d\r\n" % len(SMUGGLED),
    b"Content-Length: 0x26\r\n",
    b"Content-Length: %d, %d\r\n" % (len(SMUGGLED), len(SMUGGLED)),
    b"Transfer-Encoding: chunked;;\r\n",
    b"Content-Length : %d\r\n" % len(SMUGGLED),  # space before the colon
    b"Content-Length: 0\r\n %d\r\n" % len(SMUGGLED),  # a folded line
    b"",  # HTTP/1.1 without Host (the Host below is left out)
    b"Host: y\r\n",  # two Hosts
])
def test_ambiguous_requests_get_400_and_a_hang_up(root, headers):
    server, thread, site = serving(root)
    try:
        host = b"" if headers == b"" else b"Host: x\r\n"
        response = exchange(site.port, b"GET /episode.vtt HTTP/1.1\r\n" + host + headers + b"\r\n" + SMUGGLED)
        assert statuses(response) == [400], response[:300]
        assert b"Connection: close" in response
    finally:
        stop(server, thread)


def test_plain_framing_is_still_served(root):
    server, thread, site = serving(root)
    try:
        # HTTP/1.0 needs no Host; a body is answered, then the connection closed before it is read.
        assert statuses(exchange(site.port, b"GET /episode.vtt HTTP/1.0\r\n\r\n")) == [200]
        response = exchange(site.port, b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                            % len(SMUGGLED) + SMUGGLED)
        assert statuses(response) == [200] and response.endswith(BODY)
        response = exchange(site.port, b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                            b"GET /episode.vtt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert statuses(response) == [200, 200]  # keep-alive goes on when there is no body
    finally:
        stop(server, thread)


def test_the_log_escapes_what_clients_send(root, capsys):
    server, thread, site = serving(root)
    server.verbose = True
    try:
        exchange(site.port, b"GET /\x1b[2J\x1b]0;pwned\x07\\x1b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    finally:
        stop(server, thread)
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert '"GET /\\x1b[2J\\x1b]0;pwned\\x07\\\\x1b HTTP/1.1" 404' in err


@pytest.mark.parametrize("host, option", [
    ("no-such-host.invalid", "--host"),
    ("192.0.2.1", "--host"),  # a documentation address: not this computer's
])
def test_a_bad_host_names_the_host_option(root, host, option):
    with pytest.raises(ConfigError) as error:
        make_server(root, host=host, port=0)
    assert option in str(error.value) and "--port" not in str(error.value)


def test_a_port_in_use_names_the_port_option(root):
    server = make_server(root, port=0)
    try:
        with pytest.raises(ConfigError, match="--port"):
            make_server(root, port=server.server_address[1])
    finally:
        server.server_close()
