"""OpenAI clients pointed at the gateway that carry the current span as W3C `traceparent`.

The header is computed per request (through `default_headers`, a mapping read at each call),
so the gateway's llm span becomes a child of whichever SDK span is current when the call is
made. `openai` is imported here only when a client is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rungway.sdk.tracing import current_span, gateway


def traceparent_headers() -> dict[str, str]:
    """`{"traceparent": ...}` for the current span, or {} outside any span."""
    s = current_span()
    return {"traceparent": s.traceparent} if s is not None else {}


class _TraceHeaders(Mapping[str, str]):
    """Headers whose `traceparent` is the span current at the moment the request is built."""

    def __init__(self, extra: Mapping[str, str] | None) -> None:
        self._extra = dict(extra or {})
        self._extra.setdefault("x-rungway-sdk", "python")

    def _now(self) -> dict[str, str]:
        return {**self._extra, **traceparent_headers()}

    def __getitem__(self, key: str) -> str:
        return self._now()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


def _require_openai() -> Any:
    try:
        import openai
    except ImportError:
        raise ImportError("rungway.sdk.openai_client needs the openai package: pip install openai") from None
    return openai


def _gateway_options(api_key: str | None, headers: Mapping[str, str] | None) -> dict[str, Any]:
    """The configured gateway's `/v1`, its key, and headers that carry the current trace."""
    exporter = gateway()
    base = exporter.url.removesuffix("/v1/traces")
    return {"base_url": f"{base}/v1", "api_key": api_key or exporter.api_key, "default_headers": _TraceHeaders(headers)}


def openai_client(api_key: str | None = None, headers: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
    """An `openai.OpenAI` for the configured gateway (`/v1`), propagating the current trace."""
    return _require_openai().OpenAI(**_gateway_options(api_key, headers), **kwargs)


def async_openai_client(api_key: str | None = None, headers: Mapping[str, str] | None = None, **kwargs: Any) -> Any:
    """An `openai.AsyncOpenAI` for the configured gateway, propagating the current trace."""
    return _require_openai().AsyncOpenAI(**_gateway_options(api_key, headers), **kwargs)
