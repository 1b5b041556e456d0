"""Idle-connection flood: N connections that never send a byte, then one request from another address.

Run a gateway first (`rungway serve --config rungway.yaml --port 4795`), then
`python bench/bounds/connection_flood.py 4795 10000` (run two at once for 20,000: one process holds
at most its file limit). Prints how many flood connections were refused with a 503 at once and how
long another client (127.0.0.2) waits for /healthz.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import time


def main(port: int, count: int) -> None:
    flood = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        flood.append(sock)
    time.sleep(3)  # let the server accept (or refuse) them all
    refused = 0
    for sock in flood:
        with contextlib.suppress(OSError):  # nothing arrived: the connection was admitted and is idle
            refused += sock.recv(64).startswith(b"HTTP/1.1 503")
    started = time.perf_counter()
    try:
        other = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=("127.0.0.2", 0))
        other.sendall(b"GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
        answer = other.recv(100).split(b"\r\n")[0].decode()
    except OSError as exc:
        answer = repr(exc)
    waited = time.perf_counter() - started
    print(f"{count} idle connections: {refused} refused with a 503 at once; another client: {answer} in {waited:.3f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
