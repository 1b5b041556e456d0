"""What an upstream request is addressed to: its URL's parts, and the forward proxy it goes through.

Kept apart from the connection pool (`wire/http1.py`) so that URL and proxy rules read on their own.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit


class H1Error(Exception):
    """The upstream could not be reached or broke the exchange (connection refused, reset, bad HTTP)."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a URL points: its connection pool key, Host header and request target."""

    scheme: str
    host: str
    port: int
    host_header: str
    path: str


@dataclass(frozen=True, slots=True)
class Proxy:
    """An HTTP forward proxy: https upstreams are tunnelled with CONNECT, http ones sent in absolute form."""

    host: str
    port: int
    authorization: str | None  # the Proxy-Authorization value, from user:password in the proxy URL

    @classmethod
    def from_url(cls, url: str) -> Proxy:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise H1Error(f"expected an http:// proxy URL, got {url!r}")
        auth = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            auth = "Basic " + base64.b64encode(pair).decode()
        return cls(parts.hostname, parts.port or 80, auth)


@lru_cache(maxsize=1024)
def parse_target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise H1Error(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    default = (parts.scheme, port) in (("http", 80), ("https", 443))
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, shown if default else f"{shown}:{port}", path)


def clean_header(text: str) -> str:
    """A header name or value, refused when it could split the request (CR, LF or NUL)."""
    if "\r" in text or "\n" in text or "\0" in text:
        raise H1Error(f"header contains a line break or NUL: {text[:60]!r}")
    return text
