"""A small pipelined Redis client for the counters' hot path.

Why not redis-py: its asyncio client spends ~130-170 µs of CPU per EVALSHA here (connection
pool checkout, command machinery), which at gateway rates is a large share of a request's budget.
The counters need only a handful of commands over one multiplexed connection: this client writes
the commands of one loop iteration in one write and matches replies in order (RESP2 pipelining);
key names used on every call are sent pre-encoded (`Bulk`), and one watchdog per connection
replaces a timer per command. It reconnects on the next call after a failure and raises
`ConnectionError` / `TimeoutError`, which the gateway turns into its fail-open or fail-closed decision.
Bytes that are not RESP2 fail every pending command with `RespProtocolError` (a `ConnectionError`) and
drop the connection: after them no reply can be matched to its command.

`rediss://` connects over TLS (the system trust store, or a given CA bundle); `user:password@` in the
URL authenticates as an ACL user (`AUTH user password`), a password alone as the default user. A
connection whose AUTH or SELECT is refused is closed at once and raises `RedisAuthError`.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlparse

from rungway.errors import ConfigError

Reply = Any


class RedisReplyError(Exception):
    """Redis answered with an error reply (`-ERR ...`)."""


class RedisAuthError(ConnectionError):
    """Redis refused the connection's AUTH (wrong user or password) or SELECT: a configuration error."""


class RespProtocolError(ConnectionError):
    """The server sent bytes that are not a RESP2 reply: the connection's reply order is lost, so it is dropped."""


class _Incomplete(Exception):
    """The buffer does not hold a whole reply yet."""


class Bulk(bytes):
    """An argument already encoded as a RESP bulk string, e.g. a key name sent on every call."""

    __slots__ = ()

    @classmethod
    def of(cls, value: str | bytes) -> Bulk:
        data = value.encode() if isinstance(value, str) else value
        return cls(b"$%d\r\n%b\r\n" % (len(data), data))


_INT_BULKS: dict[int, bytes] = {}  # encoded integers: limits, windows and TTLs repeat on every call
_INT_BULKS_SIZE = 4096


def encode_command(args: tuple[Any, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    append = parts.append
    ints = _INT_BULKS
    for arg in args:
        kind = type(arg)
        if kind is Bulk:
            append(arg)
            continue
        if kind is int:
            chunk = ints.get(arg)
            if chunk is None:
                data = b"%d" % arg
                chunk = b"$%d\r\n%b\r\n" % (len(data), data)
                if len(ints) >= _INT_BULKS_SIZE:
                    ints.clear()  # one-off values (costs, amounts) churn it; the repeating ones come back at once
                ints[arg] = chunk
            append(chunk)
            continue
        if kind is str:
            data = arg.encode()
        elif isinstance(arg, bytes):
            data = arg
        else:
            data = str(arg).encode()
        append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


def parse_reply(buf: bytearray, pos: int) -> tuple[Reply, int]:
    """One RESP2 reply starting at `pos`: (value, next position); `_Incomplete` when cut short,
    `RespProtocolError` when the bytes are not RESP2."""
    try:
        return _parse(buf, pos)
    except ValueError as exc:
        raise _not_resp(exc) from None


def _not_resp(exc: ValueError) -> RespProtocolError:
    return RespProtocolError(f"redis sent a reply that is not RESP2: {exc}")


def _parse(buf: bytearray, pos: int) -> tuple[Reply, int]:
    """`parse_reply` without the wrapping of ValueError (a number that is not one, an unknown type byte,
    a bulk string not followed by CRLF), for the read loop that catches it once per read."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind = buf[pos]
    line = bytes(buf[pos + 1 : end])
    pos = end + 2
    if kind == 58:  # ':'
        return int(line), pos
    if kind == 43:  # '+'
        return line.decode("utf-8", "replace"), pos
    if kind == 45:  # '-'
        return RedisReplyError(line.decode("utf-8", "replace")), pos
    if kind == 36:  # '$'
        size = int(line)
        if size < 0:
            return None, pos
        if len(buf) < pos + size + 2:
            raise _Incomplete
        if buf[pos + size : pos + size + 2] != b"\r\n":
            raise ValueError(f"a bulk string of {size} bytes is not followed by CRLF")
        return bytes(buf[pos : pos + size]), pos + size + 2
    if kind == 42:  # '*'
        count = int(line)
        if count < 0:
            return None, pos
        items = []
        for _ in range(count):
            item, pos = _parse(buf, pos)
            items.append(item)
        return items, pos
    raise ValueError(f"unknown reply type {chr(kind)!r}")  # RESP3 types included: HELLO 3 is never sent


class ReplyCallback:
    """A waiter that hands its reply (or error) to a function as soon as it is read.

    Batches use it instead of a future: a future runs its done-callbacks one loop turn later,
    and a call waiting on a batch would pay that turn on top of its own wake-up."""

    __slots__ = ("_done", "_function")

    def __init__(self, function: Callable[[Reply, BaseException | None], None]) -> None:
        self._function = function
        self._done = False

    def done(self) -> bool:
        return self._done

    def set_result(self, value: Reply) -> None:
        self._done = True
        self._function(value, None)

    def set_exception(self, error: BaseException) -> None:
        self._done = True
        self._function(None, error)


class _RespProtocol(asyncio.Protocol):
    """One connection: commands are written at once, replies resolve futures in order.

    A watchdog, not a timer per command (uvloop's call_later + cancel cost 2-4 µs each): while
    commands are pending it checks every `timeout_s / 4` that some reply arrived within `timeout_s`;
    if none did, every pending command fails with TimeoutError and the connection is dropped."""

    def __init__(self, timeout_s: float) -> None:
        self.waiters: deque[asyncio.Future[Reply] | ReplyCallback] = deque()
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.timeout_s = timeout_s
        self._outgoing: list[bytes] = []
        self._loop = asyncio.get_running_loop()
        self._progress_at = 0.0  # loop time of the last reply, or of the first command sent after none pending
        self._watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self._progress_at = self._loop.time()
        self.buffer += data
        pos = 0
        while self.waiters:
            try:
                value, pos = _parse(self.buffer, pos)
            except _Incomplete:
                break
            except ValueError as exc:  # not RESP2: what follows can no longer be matched to its command
                self._fail_all(_not_resp(exc))
                self.abort()
                return
            waiter = self.waiters.popleft()
            if waiter.done():
                continue
            if isinstance(value, RedisReplyError):
                waiter.set_exception(value)
            else:
                waiter.set_result(value)
        if pos:
            del self.buffer[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail_all(ConnectionError(f"redis connection lost: {exc or 'closed'}"))

    def _fail_all(self, error: Exception) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error)

    def send(self, args: tuple[Any, ...]) -> asyncio.Future[Reply]:
        waiter: asyncio.Future[Reply] = self._loop.create_future()
        self.send_to(args, waiter)
        return waiter

    def send_to(self, args: tuple[Any, ...], waiter: asyncio.Future[Reply] | ReplyCallback) -> None:
        if self.closed or self.transport is None:
            raise ConnectionError("redis connection is closed")
        loop = self._loop
        if not self.waiters:
            self._progress_at = loop.time()
            if self._watchdog is None:
                self._watchdog = loop.call_later(self.timeout_s / 4, self._check)
        self.waiters.append(waiter)
        # Commands issued in the same loop iteration (concurrent calls) leave in one write.
        if not self._outgoing:
            loop.call_soon(self._flush)
        self._outgoing.append(encode_command(args))

    def _flush(self) -> None:
        data, self._outgoing = b"".join(self._outgoing), []
        if data and self.transport is not None and not self.closed:
            self.transport.write(data)

    def _check(self) -> None:
        self._watchdog = None
        if self.closed or not self.waiters:
            return
        if self._loop.time() - self._progress_at < self.timeout_s:
            self._watchdog = self._loop.call_later(self.timeout_s / 4, self._check)
            return
        # The connection's reply order can no longer be trusted: fail what is pending and drop it.
        self._fail_all(TimeoutError(f"redis did not answer within {self.timeout_s:g}s"))
        self.abort()

    def abort(self) -> None:
        self.closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.transport is not None:
            self.transport.abort()


@dataclass(frozen=True, slots=True)
class RedisAddress:
    """Where and as whom to connect, from a `redis://` or `rediss://` (TLS) URL."""

    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> RedisAddress:
        parsed = urlparse(url)
        shown = _without_password(url)
        if parsed.scheme not in ("redis", "rediss"):
            raise ConfigError(
                f"redis URL {shown!r}: expected redis:// or rediss:// (TLS). Fix: redis://[user:password@]host:6379/0"
            )
        try:
            db = int(parsed.path.strip("/") or 0)
            port = parsed.port or 6379
        except ValueError:
            raise ConfigError(f"redis URL {shown!r} is not valid. Fix: redis://[user:password@]host:6379/0") from None
        return cls(
            parsed.hostname or "127.0.0.1",
            port,
            db,
            unquote(parsed.username) if parsed.username else None,
            unquote(parsed.password) if parsed.password else None,
            parsed.scheme == "rediss",
        )

    @property
    def shown(self) -> str:
        """The address for messages: user and host, never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{'rediss' if self.tls else 'redis'}://{user}{self.host}:{self.port}/{self.db}"


def _without_password(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return url.replace(f":{parsed.password}@", ":***@", 1)


class Script:
    """A Lua script sent by SHA (EVALSHA), loaded again when the server answers NOSCRIPT."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
        self.sha_bulk = Bulk.of(self.sha)


_EVALSHA = Bulk.of("EVALSHA")


class RespClient:
    """One multiplexed connection to Redis, opened lazily and re-opened after a failure."""

    def __init__(
        self, url: str, timeout_s: float = 2.0, connect_timeout_s: float = 2.0, ca_file: str | None = None
    ) -> None:
        self.address = RedisAddress.parse(url)
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._tls = ssl.create_default_context(cafile=ca_file) if self.address.tls else None
        self._protocol: _RespProtocol | None = None
        self._connecting: asyncio.Lock | None = None

    @property
    def connected(self) -> bool:
        return self._protocol is not None and not self._protocol.closed

    async def _connection(self) -> _RespProtocol:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            current = self._protocol
            if current is not None and not current.closed:
                return current
            loop = asyncio.get_running_loop()
            address = self.address
            _, fresh = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _RespProtocol(self.timeout_s),
                    address.host,
                    address.port,
                    ssl=self._tls,
                    server_hostname=address.host if self._tls else None,
                ),
                self.connect_timeout_s,
            )
            hello: list[tuple[Any, ...]] = []
            if address.password is not None:
                hello.append(
                    ("AUTH", address.username, address.password) if address.username else ("AUTH", address.password)
                )
            if address.db:
                hello.append(("SELECT", address.db))
            try:
                for command in hello:
                    await fresh.send(command)
            except RedisReplyError as refused:
                fresh.abort()  # never leave a connection open that failed its handshake
                raise RedisAuthError(f"redis at {address.shown} refused {command[0]}: {refused}") from None
            except BaseException:
                fresh.abort()
                raise
            self._protocol = fresh
            return fresh

    async def call(self, *args: Any) -> Reply:
        """Send one command; its reply (ConnectionError, TimeoutError or RedisReplyError on failure)."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._connection()
        return await protocol.send(args)

    async def run(self, script: Script, keys: list[Any], args: list[Any]) -> Reply:
        """EVALSHA, falling back to EVAL once when the server does not know the script yet."""
        try:
            return await self.call(_EVALSHA, script.sha_bulk, len(keys), *keys, *args)
        except RedisReplyError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
            return await self.call("EVAL", script.source, len(keys), *keys, *args)

    def run_now(
        self, script: Script, keys: list[Any], args: list[Any], reply: Callable[[Reply, BaseException | None], None],
        load: bool = False,
    ) -> None:  # fmt: skip
        """`run` for batches sent from loop callbacks: written at once, `reply` called as soon as the answer
        is read (or with the error); `load` sends the script's source (EVAL), after Redis answered NOSCRIPT."""
        protocol = self._protocol
        if load or protocol is None or protocol.closed:  # rare: (re)connecting, or loading the script
            coro = self.call("EVAL", script.source, len(keys), *keys, *args) if load else self.run(script, keys, args)
            asyncio.ensure_future(coro).add_done_callback(
                lambda done: reply(None, done.exception()) if done.exception() else reply(done.result(), None)
            )
            return
        protocol.send_to((_EVALSHA, script.sha_bulk, len(keys), *keys, *args), ReplyCallback(reply))
        protocol._flush()  # the batch is whole: no reason to wait for the end of this loop turn

    async def close(self) -> None:
        if self._protocol is not None:
            self._protocol.abort()
            self._protocol = None
