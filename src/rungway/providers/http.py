"""What the HTTP adapters (openai, anthropic) share: options, one pooled client, SSE, error mapping.

Each configured provider owns one `UpstreamClient`: a keep-alive connection pool of our lean
HTTP/1.1 client (`wire/http1.py`), opened in `start()` and closed in `close()`. Transport failures and
upstream error answers become the `rungway.errors` hierarchy here, in one place:

    connection error ............ UpstreamError (502)
    answer past a size cap ...... UpstreamError (502) upstream_response_too_large, naming the
                                  cap and the provider option that raises it
    timeout ..................... UpstreamTimeout (504): `timeout_s` is the deadline of a whole
                                  answer and of a whole stream; `stream_idle_timeout_s` the
                                  longest silence within a stream
    upstream 5xx (529 too) ...... UpstreamError (502), upstream_status kept
    upstream 429 ................ RateLimited (429), Retry-After from the upstream or 1 s
    upstream 401 / 403 .......... UpstreamError (502): the gateway's provider credentials are wrong,
                                  which is the operator's problem, not the caller's
    other upstream 4xx .......... UpstreamRejected with the upstream's status, message, type and code
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import os
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from rungway.errors import RateLimited, RungwayError, UpstreamError, UpstreamRejected, UpstreamTimeout
from rungway.settings.config import ProviderConfig
from rungway.wire.http1 import H1Pool, H1Response, ResponseLimits, ResponseTooLarge, StreamDeadline
from rungway.wire.http1_address import H1Error, Proxy
from rungway.wire.sse import DEFAULT_MAX_SSE_EVENT_BYTES, SseEvent, SseEventTooLarge, sse_batches

USER_AGENT = "rungway/0.1"
COMMON_OPTIONS = frozenset(
    {
        "base_url",
        "api_key",
        "timeout_s",
        "connect_timeout_s",
        "headers",
        "account",
        "max_connections",
        "ca_file",
        "proxy",
        "stream_idle_timeout_s",
        "max_response_header_bytes",
        "max_response_body_bytes",
        "max_sse_event_bytes",
    }
)


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """The options every HTTP provider accepts, validated."""

    base_url: str
    api_key: str | None
    timeout_s: float
    connect_timeout_s: float
    headers: dict[str, str]
    account: str
    max_connections: int
    ca_file: str | None = None
    proxy: Proxy | None = None
    stream_idle_timeout_s: float | None = None  # None: `timeout_s`
    limits: ResponseLimits = field(default_factory=ResponseLimits)
    max_sse_event_bytes: int = DEFAULT_MAX_SSE_EVENT_BYTES


def parse_http_options(config: ProviderConfig, default_base_url: str | None, extra: Iterable[str]) -> HttpOptions:
    """Validate the common options (and reject unknown ones) with errors naming file, line and fix."""
    opts = config.options
    known = COMMON_OPTIONS | set(extra)
    for key in opts:
        if key not in known:
            raise config.unknown_option(key, known)
    base_url = opts.get("base_url", default_base_url)
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise config.error(
            "base_url", f"expected an http(s) URL, got {base_url!r}", "write e.g. `base_url: https://api.openai.com/v1`"
        )
    headers = opts.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str | int | float) for v in headers.values()):
        problem = f"expected a mapping of header names to values, got {headers!r}"
        raise config.error("headers", problem, "write e.g. `headers: {x-team: search}`")
    timeout_s = positive_number(config, "timeout_s", 600.0)
    defaults = ResponseLimits()
    return HttpOptions(
        base_url=base_url.rstrip("/"),
        api_key=optional_str(config, "api_key"),
        timeout_s=timeout_s,
        connect_timeout_s=positive_number(config, "connect_timeout_s", 10.0),
        headers={str(k): str(v) for k, v in headers.items()},
        account=optional_str(config, "account") or config.name,
        max_connections=positive_int(config, "max_connections", 1000),
        ca_file=readable_file(config, "ca_file"),
        proxy=proxy_option(config),
        stream_idle_timeout_s=positive_number(config, "stream_idle_timeout_s", timeout_s),
        limits=ResponseLimits(
            max_response_header_bytes=positive_int(
                config, "max_response_header_bytes", defaults.max_response_header_bytes
            ),
            max_response_body_bytes=positive_int(config, "max_response_body_bytes", defaults.max_response_body_bytes),
        ),
        max_sse_event_bytes=positive_int(config, "max_sse_event_bytes", DEFAULT_MAX_SSE_EVENT_BYTES),
    )


def optional_str(config: ProviderConfig, key: str) -> str | None:
    value = config.options.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):  # YAML reads `api_version: 2024-10-21` as a date
        return value.isoformat()
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise config.error(key, f"expected a string, got {value!r}", "write a plain string value")
    return str(value)


def proxy_option(config: ProviderConfig) -> Proxy | None:
    """An HTTP forward proxy for this provider's upstream (e.g. `proxy: ${HTTPS_PROXY:-}`)."""
    url = optional_str(config, "proxy")
    if url is None:
        return None
    try:
        return Proxy.from_url(url)
    except H1Error as exc:
        raise config.error("proxy", str(exc), "write e.g. `proxy: http://user:password@proxy.internal:3128`") from None


def readable_file(config: ProviderConfig, key: str) -> str | None:
    """A CA bundle path (PEM) to trust instead of the system store, e.g. for an internal proxy."""
    path = optional_str(config, key)
    if path is not None and not os.path.isfile(path):
        raise config.error(key, f"no such file: {path!r}", "give the path of a PEM file with the CA certificates")
    return path


def positive_number(config: ProviderConfig, key: str, default: float) -> float:
    value = config.options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise config.error(key, f"expected a number of seconds > 0, got {value!r}", f"write e.g. `{key}: {default:g}`")
    return float(value)


def positive_int(config: ProviderConfig, key: str, default: int) -> int:
    value = config.options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise config.error(key, f"expected a whole number > 0, got {value!r}", f"write e.g. `{key}: {default}`")
    return value


class UpstreamClient:
    """One pooled HTTP client per provider; every request and answer goes through it."""

    def __init__(self, provider: str, options: HttpOptions) -> None:
        self.provider = provider
        self.options = options
        self._pool: H1Pool | None = None
        self._headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}

    async def start(self) -> None:
        if self._pool is None:
            tls = ssl.create_default_context(cafile=self.options.ca_file) if self.options.ca_file else None
            options = self.options
            self._pool = H1Pool(options.max_connections, options.connect_timeout_s, tls, options.proxy, options.limits)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def _open(self) -> H1Pool:
        if self._pool is None:
            await self.start()
        assert self._pool is not None
        return self._pool

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float
    ) -> tuple[int, bytes, Mapping[str, str]]:
        """POST JSON bytes and read the whole answer: (status, body, headers)."""
        pool = await self._open()
        timeout_s = min(timeout_s, self.options.timeout_s)
        try:
            response = await pool.request("POST", url, {**self._headers, **headers}, body, timeout_s, whole=True)
            try:
                return response.status, await response.read(), response.headers
            finally:
                response.release()
        except TimeoutError:
            raise self.timeout_error(timeout_s) from None
        except ResponseTooLarge as exc:
            raise self.too_large(exc.what, exc.option, exc.limit) from None
        except H1Error as exc:
            raise self.connection_error(url, exc) from None

    async def open_stream(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        timeout_s: float,
        failure: Callable[[str, int, bytes, Mapping[str, str]], RungwayError] | None = None,
    ) -> H1Response:
        """POST and return the response once its head arrived; the caller reads and releases it.

        A non-2xx answer is read and raised as the mapped error here (`failure` maps it, by default
        `upstream_failure`). The whole stream must end
        within `timeout_s` of this call; `stream_idle_timeout_s` bounds each silence within it.
        """
        pool = await self._open()
        timeout_s = min(timeout_s, self.options.timeout_s)
        deadline = asyncio.get_running_loop().time() + timeout_s
        try:
            response = await pool.request("POST", url, {**self._headers, **headers}, body, timeout_s, whole=False)
            if response.status >= 300:
                try:
                    raw = await response.read(timeout_s)
                finally:
                    response.release()
                raise (failure or upstream_failure)(self.provider, response.status, raw, response.headers)
            response.idle_timeout_s = min(self.options.stream_idle_timeout_s or timeout_s, timeout_s)
            response.deadline = deadline
            response.total_timeout_s = timeout_s
        except TimeoutError:
            raise self.timeout_error(timeout_s) from None
        except ResponseTooLarge as exc:
            raise self.too_large(exc.what, exc.option, exc.limit) from None
        except H1Error as exc:
            raise self.connection_error(url, exc) from None
        return response

    @asynccontextmanager
    async def sse(self, response: H1Response) -> AsyncIterator[AsyncGenerator[list[SseEvent], None]]:
        """The response's server-sent events, a list per read, transport failures mapped; the response
        is released on exit. Errors are mapped per read rather than per event."""
        pieces = self._pieces(response)
        events = self._sse_batches(pieces)
        try:
            yield events
        finally:
            await events.aclose()
            await pieces.aclose()
            response.release()

    @asynccontextmanager
    async def raw_pieces(self, response: H1Response) -> AsyncIterator[AsyncGenerator[bytes, None]]:
        """The response's body as it arrives (for binary framings), transport failures mapped; the
        response is released on exit."""
        pieces = self._pieces(response)
        try:
            yield pieces
        finally:
            await pieces.aclose()
            response.release()

    async def _sse_batches(self, pieces: AsyncIterable[bytes]) -> AsyncGenerator[list[SseEvent], None]:
        limit = self.options.max_sse_event_bytes
        try:
            async for batch in sse_batches(pieces, limit):
                yield batch
        except SseEventTooLarge:
            raise self.too_large("one server-sent event", "max_sse_event_bytes", limit) from None

    async def _pieces(self, response: H1Response) -> AsyncGenerator[bytes, None]:
        try:
            async for piece in response.pieces(response.idle_timeout_s, response.deadline):
                yield piece
        except StreamDeadline:
            raise UpstreamTimeout(
                f"{self.provider}: the stream did not end within {response.total_timeout_s:g}s"
                " (the provider option `timeout_s` bounds a whole stream)"
            ) from None
        except ResponseTooLarge as exc:
            raise self.too_large(exc.what, exc.option, exc.limit) from None
        except TimeoutError:
            raise UpstreamTimeout(
                f"{self.provider}: the stream went silent for more than {response.idle_timeout_s:g}s"
            ) from None
        except H1Error as exc:
            raise UpstreamError(f"{self.provider}: the stream broke off: {exc}") from None

    def too_large(self, what: str, option: str, limit: int) -> UpstreamError:
        return UpstreamError(
            f"{self.provider}: {what} from the upstream exceeded {limit} bytes; the provider option"
            f" `{option}` raises this cap",
            code="upstream_response_too_large",
        )

    def timeout_error(self, timeout_s: float) -> UpstreamTimeout:
        limit = min(timeout_s, self.options.timeout_s)
        return UpstreamTimeout(f"{self.provider}: no answer from the upstream within {limit:g}s")

    def connection_error(self, url: str, exc: H1Error) -> UpstreamError:
        where = url.split("?", 1)[0]
        return UpstreamError(f"{self.provider}: cannot reach the upstream at {where}: {exc}")


def load_json(provider: str, raw: bytes) -> Any:
    """Parse an upstream answer; an unreadable one is the upstream's failure (502)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        snippet = raw[:200].decode("utf-8", "replace")
        raise UpstreamError(f"{provider}: the upstream answered with something that is not JSON: {snippet!r}") from None


def upstream_failure(provider: str, status: int, raw: bytes, headers: Mapping[str, str]) -> RungwayError:
    """Map an upstream error answer (OpenAI, Azure, Anthropic, vLLM or Ollama shape) to our error."""
    message, error_type, code, param = _error_fields(raw)
    text = f"{provider}: upstream answered {status}: {message}"
    if 300 <= status < 400:
        where = headers.get("Location", "elsewhere")
        return UpstreamError(
            f"{provider}: the upstream redirected ({status}) to {where}; set the provider's base_url to the final URL",
            code="upstream_redirect",
            upstream_status=status,
        )
    if status == 429:
        return RateLimited(text, retry_after=retry_after_seconds(headers), code=code or "upstream_rate_limited")
    if status >= 500 or status in (401, 403):
        code = "upstream_auth_failed" if status in (401, 403) else code
        return UpstreamError(text, code=code or "upstream_error", upstream_status=status)
    return UpstreamRejected(message, status=status, error_type=error_type, code=code, param=param)


def _error_fields(raw: bytes) -> tuple[str, str | None, str | None, str | None]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        text = raw[:500].decode("utf-8", "replace").strip()
        return text or "no message", None, None, None
    if not isinstance(data, dict):
        return str(data)[:500], None, None, None
    error = data.get("error", data)
    if isinstance(error, str):  # Ollama: {"error": "model not found"}
        return error, None, None, None
    if not isinstance(error, dict):
        return str(error)[:500], None, None, None
    message = error.get("message") or data.get("message") or "no message"
    code = error.get("code")
    param = error.get("param")
    error_type = error.get("type")
    return (
        str(message),
        str(error_type) if error_type else None,
        str(code) if code is not None else None,
        str(param) if param is not None else None,
    )


def retry_after_seconds(headers: Mapping[str, str], default: float = 1.0) -> float:
    """Seconds to wait from `retry-after-ms`, `Retry-After` (seconds or an HTTP date), else `default`."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(when.timestamp() - time.time(), 0.0)
