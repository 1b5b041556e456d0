"""otlp_load.py with a management-API key on its `http-json` counter (our stats endpoint needs one).

Runs under the tracebench venv: `python authed_load.py <otlp_load args>`; the key comes from
RUNGWAY_BENCH_ADMIN. Everything else is ../shared/bench/tracing/otlp_load.py unchanged.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench", "tracing")
sys.path.insert(0, os.path.abspath(SHARED))

import otlp_load  # noqa: E402

_original = otlp_load.Counter.count


def _count(self: otlp_load.Counter) -> int:
    if self.kind != "http-json":
        return int(_original(self))
    request = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {os.environ['RUNGWAY_BENCH_ADMIN']}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        data = json.loads(answer.read())
    for key in (self.key or "count").split("."):
        data = data[key]
    return int(data)


otlp_load.Counter.count = _count  # type: ignore[method-assign]

if __name__ == "__main__":
    otlp_load.main()
