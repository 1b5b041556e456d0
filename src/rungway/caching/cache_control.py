"""A call's own say over the cache: the `Cache-Control` request header, read as HTTP caches read it.

`no-store`: the answer is neither served from nor kept in the cache. `no-cache`: not served from it (the fresh
answer is kept). `max-age=N`: served only from an entry stored at most N seconds ago (`max-age=0` is
`no-cache`). Unknown directives are ignored, as RFC 9111 says; a malformed `max-age` counts as absent.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CallCachePolicy", "parse_cache_control"]

MAX_HEADER_CHARS = 256


@dataclass(frozen=True, slots=True)
class CallCachePolicy:
    """What one call allows: reading an entry (no older than `max_age_s`), and storing its answer."""

    read: bool = True
    store: bool = True
    max_age_s: float | None = None


DEFAULT = CallCachePolicy()


def parse_cache_control(header: str | None) -> CallCachePolicy:
    if not header:
        return DEFAULT
    read, store, max_age = True, True, None
    for part in header[:MAX_HEADER_CHARS].split(","):
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        if name == "no-store":
            read = store = False
        elif name == "no-cache":
            read = False
        elif name == "max-age":
            value = value.strip().strip('"')
            if value.isdigit() and len(value) <= 10:
                max_age = float(value)
                if max_age == 0:
                    read = False
    return CallCachePolicy(read, store, max_age)
