"""Connecting to Redis: ACL users and refused credentials against the real Redis, TLS against a real
`redis-server --tls-port` signed by a throwaway CA, and the start-up probe's verdicts."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from rungway.counters.redis import RedisCounters, probe_at_start
from rungway.counters.registry import create_counters
from rungway.errors import ConfigError
from rungway.settings.config import CountersConfig
from rungway.wire.resp import RedisAuthError, RespClient


@pytest.fixture
def acl_user(redis_url: str) -> Iterator[tuple[str, str]]:
    """A Redis ACL user allowed everything (name, password), deleted after the test."""
    name, password = f"rungway-test-{secrets.token_hex(4)}", secrets.token_hex(12)

    async def admin(*command: str) -> object:
        client = RespClient(redis_url)
        try:
            return await client.call(*command)
        finally:
            await client.close()

    asyncio.run(admin("ACL", "SETUSER", name, "on", f">{password}", "~*", "&*", "+@all"))
    try:
        yield name, password
    finally:
        asyncio.run(admin("ACL", "DELUSER", name))


def test_an_acl_user_in_the_url_logs_in_and_runs_the_counters(acl_user: tuple[str, str]) -> None:
    name, password = acl_user
    counters = create_counters(
        CountersConfig("redis", f"redis://{name}:{password}@127.0.0.1:6379/0", key_prefix=f"t{secrets.token_hex(4)}:")
    )
    assert isinstance(counters, RedisCounters)

    async def use() -> object:
        try:
            await counters.add("k", 60, 3)
            return await counters.client.call("ACL", "WHOAMI")
        finally:
            await counters.close()

    assert asyncio.run(use()) == name.encode()


def test_refused_credentials_stop_the_start_with_a_fix_and_no_password(acl_user: tuple[str, str]) -> None:
    name, _ = acl_user
    with pytest.raises(ConfigError) as caught:
        create_counters(CountersConfig("redis", f"redis://{name}:not-the-password@127.0.0.1:6379/0"))
    message = caught.value.message
    assert message.startswith("counters.redis_url: ") and "WRONGPASS" in message and "Fix:" in message
    assert "not-the-password" not in message and name in message


def test_an_unreachable_redis_at_start_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    probe_at_start(CountersConfig("redis", "redis://127.0.0.1:1/0"))
    assert "unreachable at start" in caplog.text and "fail open" in caplog.text


def test_a_connection_whose_auth_was_refused_is_closed() -> None:
    async def run() -> None:
        closed = asyncio.Event()

        async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"AUTH\r\n")
            writer.write(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
            await writer.drain()
            await reader.read()  # returns only once the client hung up
            closed.set()

        server = await asyncio.start_server(refuse, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = RespClient(f"redis://someone:wrong@127.0.0.1:{port}/0")
        with pytest.raises(RedisAuthError, match="refused AUTH: WRONGPASS"):
            await client.call("PING")
        assert not client.connected
        await asyncio.wait_for(closed.wait(), 10)
        server.close()

    asyncio.run(run())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real redis-server speaking only TLS on a free loopback port: (rediss URL, CA file)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    port = free_port()
    args = [binary, "--port", "0", "--tls-port", str(port), "--tls-auth-clients", "no", "--save", "",
            "--appendonly", "no", "--dir", str(tmp_path), "--tls-cert-file", str(tmp_path / "cert.pem"),
            "--tls-key-file", str(tmp_path / "key.pem"), "--tls-ca-cert-file", str(tmp_path / "ca.pem")]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("redis-server with --tls-port did not start")
                time.sleep(0.05)
        yield f"rediss://127.0.0.1:{port}/0", tmp_path / "ca.pem"
    finally:
        process.terminate()
        process.wait(10)


def test_rediss_connects_over_tls_with_the_given_ca(tls_redis: tuple[str, Path]) -> None:
    url, ca_file = tls_redis
    counters = create_counters(CountersConfig("redis", url, redis_ca_file=str(ca_file)))
    assert isinstance(counters, RedisCounters)

    async def use() -> float:
        try:
            await counters.add("tls", 60, 5)
            return await counters.current("tls", 60)
        finally:
            await counters.close()

    assert asyncio.run(use()) == 5


def test_rediss_with_an_unknown_ca_stops_the_start_naming_redis_ca_file(tls_redis: tuple[str, Path]) -> None:
    url, _ = tls_redis
    with pytest.raises(ConfigError) as caught:
        create_counters(CountersConfig("redis", url))
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.message and "counters.redis_ca_file" in caught.value.message
