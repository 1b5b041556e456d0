"""Webhook URLs as they may be shown: their secret path and query never leave the store or the config.

Webhook URLs carry their secret in the path or the query (Slack, Teams, Discord tokens), so events,
logs and API answers show the scheme and host only.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["mask_urls", "masked_url"]

_URL = re.compile(r"https?://[^\s'\"<>]+")


def masked_url(url: str | None) -> str | None:
    """A webhook URL as it may be shown: scheme and host only."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "…"
    rest = "/…" if parts.path.strip("/") or parts.query or parts.fragment else "/"
    return f"{parts.scheme}://{host}{port}{rest}"


def mask_urls(text: str) -> str:
    """`text` with every http(s) URL in it masked (messages that name a webhook)."""

    def mask(match: re.Match[str]) -> str:
        url = match.group(0)
        kept = url.rstrip(":,.;)")
        return (masked_url(kept) or "") + url[len(kept) :]

    return _URL.sub(mask, text)
