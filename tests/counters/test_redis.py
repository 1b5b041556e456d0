"""The Redis counters backend (`counters/redis.py`): key prefixes and TTLs, connecting (ACL users and refused
credentials against the real Redis, TLS against a real `redis-server --tls-port` signed by a throwaway CA),
and the start-up probe's verdicts."""

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

from rungway.counters.base import BudgetSettle, BudgetUse, WindowUse
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


@pytest.mark.redis
def test_redis_key_prefix_isolates_deployments(redis_url: str) -> None:
    async def body() -> None:
        one = create_counters(CountersConfig("redis", redis_url, key_prefix=f"t:{secrets.token_hex(4)}:"))
        two = create_counters(CountersConfig("redis", redis_url, key_prefix=f"t:{secrets.token_hex(4)}:"))
        try:
            await one.reserve([BudgetUse("budget:shared:0", 10, None, 60)])
            assert (await two.budget_state(["budget:shared:0"]))[0].reserved == 0
            assert (await one.budget_state(["budget:shared:0"]))[0].reserved == 10
        finally:
            await one.close()
            await two.close()

    asyncio.run(body())


@pytest.mark.redis
def test_redis_keys_get_their_ttl_when_created_and_long_periods_are_extended(redis_url: str) -> None:
    async def body() -> None:
        prefix = f"t:{secrets.token_hex(4)}:"
        counters = create_counters(CountersConfig("redis", redis_url, key_prefix=prefix))
        assert isinstance(counters, RedisCounters)
        client = counters.client
        try:
            now = 42_000_030.0
            assert (
                await counters.admit([WindowUse("rpm:t", 10, 60)], [BudgetUse("budget:t:0", 5, 100, 3600)], now) is None
            )
            assert 0 < await client.call("TTL", f"{prefix}w:rpm:t:700000") <= 121
            assert 3500 < await client.call("TTL", f"{prefix}budget:t:0") <= 3600
            # A settle that creates its hash (the admission had failed open) gives it a TTL too.
            await counters.finish([BudgetSettle("budget:new:0", 0, 7, 3600)], [WindowUse("tpm:t", 10, 60, -3)], now)
            assert 3500 < await client.call("TTL", f"{prefix}budget:new:0") <= 3600
            assert 0 < await client.call("TTL", f"{prefix}w:tpm:t:700000") <= 121
            # A process checks each hash's TTL at its first use (and hourly), so long periods are extended.
            await client.call("EXPIRE", f"{prefix}budget:t:0", 50)
            again = create_counters(CountersConfig("redis", redis_url, key_prefix=prefix))
            assert await again.admit([], [BudgetUse("budget:t:0", 5, 100, 3600)]) is None
            assert await client.call("TTL", f"{prefix}budget:t:0") > 3500
            await again.close()
        finally:
            await counters.close()

    asyncio.run(body())


def test_unreachable_redis_raises_for_the_gateway_to_decide() -> None:
    async def body() -> None:
        counters = create_counters(CountersConfig("redis", "redis://127.0.0.1:1/0"))
        try:
            with pytest.raises(Exception) as failure:
                await counters.reserve([BudgetUse("budget:x:0", 1, 10, 60)])
            assert "connect" in str(failure.value).lower()
        finally:
            await counters.close()

    asyncio.run(body())
