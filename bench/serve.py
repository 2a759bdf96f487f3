"""Benchmark of `audio-guide serve` under a waiting room's load.

``--clients`` clients (default 200, as many phones) connect at the same moment
and each downloads the full edition (a file of ``--mb`` MB; the sample guide's
is about 2 MB at 64 kbps) over its own connection. Measured in one run, each
against a fresh server in a process of its own:

* one client alone: the floor for a download;
* all clients against the listen backlog socketserver gives by default (5),
  which is what `serve` had: the kernel drops the connections it cannot queue
  and the clients retry after 1, 3, 7, 15 ... s;
* all clients against `serve` as it is (Limits().backlog).

Each row gives the time until the last client has its whole file, the median
and slowest client, and how many failed (no whole file within ``--timeout`` s).

Run from the project folder:

    .venv/bin/python bench/serve.py
    .venv/bin/python bench/serve.py --clients 400 --mb 8
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_server(folder: str, backlog: int) -> None:
    """The child: serve folder with the given backlog, print the port."""
    from audio_guide.serve import Limits, make_server

    server = make_server(Path(folder), port=0, limits=Limits(backlog=backlog))
    print(server.server_address[1], flush=True)
    server.serve_forever()


def download(port: int, size: int, timeout: float, start: threading.Barrier, results: list) -> None:
    start.wait()
    began = time.perf_counter()
    got = 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(max(0.1, timeout - (time.perf_counter() - began)))
            sock.sendall(b"GET /full.mp3 HTTP/1.1\r\nHost: clinic\r\nConnection: close\r\n\r\n")
            while chunk := sock.recv(1 << 16):
                got += len(chunk)
                if time.perf_counter() - began > timeout:
                    break
    except OSError:
        pass
    took = time.perf_counter() - began
    results.append((took, got >= size and took <= timeout))


def measure(folder: Path, size: int, backlog: int, clients: int, timeout: float) -> dict:
    server = subprocess.Popen([sys.executable, __file__, "--server", str(folder), str(backlog)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        results: list = []
        start = threading.Barrier(clients + 1)
        threads = [threading.Thread(target=download, args=(port, size, timeout, start, results), daemon=True)
                   for _ in range(clients)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
    times = sorted(t for t, ok in results if ok)
    return dict(wall=wall, median=statistics.median(times) if times else float("nan"),
                slowest=times[-1] if times else float("nan"), failed=sum(not ok for _, ok in results))


def main() -> None:
    from audio_guide.serve import Limits

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--mb", type=float, default=2.0, help="size of the file each client downloads")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a client waits for its whole file")
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    backlog = Limits().backlog
    with tempfile.TemporaryDirectory(prefix="audio-guide-serve-bench-") as name:
        folder = Path(name)
        (folder / "full.mp3").write_bytes(os.urandom(size))
        runs = [("one client alone", backlog, 1),
                (f"{args.clients} clients, listen backlog 5 (socketserver's default)", 5, args.clients),
                (f"{args.clients} clients, listen backlog {backlog} (serve)", backlog, args.clients)]
        print(f"{args.clients} clients at once, each downloading {args.mb:g} MB; "
              f"net.core.somaxconn = {somaxconn()}", file=sys.stderr)
        rows = ["| run | all done (s) | median client (s) | slowest client (s) | failed |", "|---|---|---|---|---|"]
        for label, queue, clients in runs:
            found = measure(folder, size, queue, clients, args.timeout)
            rows.append(f"| {label} | {found['wall']:.2f} | {found['median']:.2f} | {found['slowest']:.2f} | "
                        f"{found['failed']} of {clients} |")
        print("\n".join(rows))


def somaxconn() -> str:
    """The kernel's cap on any listen backlog (Linux)."""
    try:
        return Path("/proc/sys/net/core/somaxconn").read_text().strip()
    except OSError:
        return "unknown"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--server"]:
        run_server(sys.argv[2], int(sys.argv[3]))
    else:
        main()
