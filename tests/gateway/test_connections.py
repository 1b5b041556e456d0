"""Idle, slow and greedy clients cannot lock others out: connection caps, head deadline, idle keep-alive.

Raw sockets on loopback against a real gateway with low configured caps (a few hundred connections
stand in for the 20,000 that used to exhaust the process).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from rungway.gateway.connections import LimitedServer, warn_if_file_limit_is_below
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

REQUEST = (
    b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer %s\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
)
BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()


def start(gateway_factory: Callable[..., Gateway], **server: object) -> Gateway:
    lines = "".join(f"  {key}: {value}\n" for key, value in server.items())
    return gateway_factory(SIMULATOR_CONFIG.replace("server:\n", "server:\n" + lines, 1))


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    try:
        yield opened
    finally:
        for sock in opened:
            sock.close()


def connect(gateway: Gateway, opened: list[socket.socket], source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10, source_address=(source, 0))
    opened.append(sock)
    return sock


def read_answer(sock: socket.socket) -> bytes:
    """Everything up to the end of one answer with Content-Length, or to the close."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            return data
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def chat_on(sock: socket.socket, secret: str) -> bytes:
    sock.sendall(REQUEST % (secret.encode(), len(BODY), BODY))
    return read_answer(sock)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed the connection (waits for it, up to the socket's timeout)."""
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def test_past_the_total_cap_new_connections_get_a_503_and_held_ones_keep_working(
    gateway_factory: Callable[..., Gateway], sockets: list[socket.socket]
) -> None:
    gateway = start(gateway_factory, max_connections=50, header_timeout_s=60)
    secret = gateway.create_key().secret
    held = [connect(gateway, sockets) for _ in range(50)]
    refused = []
    for _ in range(250):  # a flood of idle connections past the cap
        sock = connect(gateway, sockets)
        refused.append(read_answer(sock))
    assert all(answer.startswith(b"HTTP/1.1 503") for answer in refused)
    assert b"server.max_connections" in refused[-1] and b'"code":"too_many_connections"' in refused[-1]
    assert chat_on(held[0], secret).startswith(b"HTTP/1.1 200")  # an admitted client is served
    for sock in held[1:]:
        sock.close()
    assert chat_on(connect(gateway, sockets), secret).startswith(b"HTTP/1.1 200")  # room again once they left


def test_one_client_ip_past_its_cap_is_refused_while_another_ip_is_served(
    gateway_factory: Callable[..., Gateway], sockets: list[socket.socket]
) -> None:
    gateway = start(gateway_factory, max_connections_per_ip=20, header_timeout_s=60)
    secret = gateway.create_key().secret
    for _ in range(20):
        connect(gateway, sockets)
    answer = read_answer(connect(gateway, sockets))
    assert answer.startswith(b"HTTP/1.1 503") and b"server.max_connections_per_ip" in answer
    assert chat_on(connect(gateway, sockets, source="127.0.0.2"), secret).startswith(b"HTTP/1.1 200")


def test_a_request_head_not_finished_within_header_timeout_is_closed(
    gateway_factory: Callable[..., Gateway], sockets: list[socket.socket]
) -> None:
    gateway = start(gateway_factory, header_timeout_s=0.3)
    secret = gateway.create_key().secret
    silent = connect(gateway, sockets)  # connects and never sends a byte
    assert closed_by_server(silent)
    slowloris = connect(gateway, sockets)
    slowloris.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n")
    for i in range(1000):  # one header line at a time, never the blank line that ends the head
        try:
            slowloris.sendall(b"x-%d: y\r\n" % i)
        except (BrokenPipeError, ConnectionResetError):
            break
        slowloris.settimeout(0.05)
        try:
            if slowloris.recv(1) == b"":
                break
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
    else:
        raise AssertionError("the server kept a request head that never ended")
    kept_alive = connect(gateway, sockets)  # a second request on a kept-alive connection stalls mid-head
    assert chat_on(kept_alive, secret).startswith(b"HTTP/1.1 200")
    kept_alive.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert closed_by_server(kept_alive)


def test_a_slow_request_body_is_not_cut_by_the_head_deadline(
    gateway_factory: Callable[..., Gateway], sockets: list[socket.socket]
) -> None:
    gateway = start(gateway_factory, header_timeout_s=0.2)
    secret = gateway.create_key().secret
    sock = connect(gateway, sockets)
    head, body = (REQUEST % (secret.encode(), len(BODY), BODY)).split(b"\r\n\r\n", 1)
    sock.sendall(head + b"\r\n\r\n")
    server = gateway.runner.server
    assert isinstance(server, LimitedServer)
    while not any(h._request_count and h._head_timer is None for h in server.connections):  # type: ignore[attr-defined]
        time.sleep(0.01)  # until the head was parsed and its deadline disarmed: no timer can cut the body now
    sock.sendall(body)
    assert read_answer(sock).startswith(b"HTTP/1.1 200")


def test_an_idle_keep_alive_connection_is_closed_after_keepalive_timeout(
    gateway_factory: Callable[..., Gateway], sockets: list[socket.socket]
) -> None:
    gateway = start(gateway_factory, keepalive_timeout_s=0.3)
    secret = gateway.create_key().secret
    sock = connect(gateway, sockets)
    assert chat_on(sock, secret).startswith(b"HTTP/1.1 200")
    assert closed_by_server(sock)


def test_a_connection_cap_above_the_file_limit_is_reported_at_start(caplog: pytest.LogCaptureFixture) -> None:
    warn_if_file_limit_is_below(10**9)
    assert "server.max_connections is 1000000000" in caplog.text and "ulimit -n" in caplog.text
    caplog.clear()
    warn_if_file_limit_is_below(1)
    assert caplog.text == ""
