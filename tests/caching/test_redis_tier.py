"""The Redis tier shared by two replicas: an answer one replica stored is served by the other at once, without
waiting for the store's refresh; a Redis that is down is a miss, never a failed call."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from rungway.caching.runtime import CACHE
from rungway.caching.tiers import RedisTier
from tests.caching.support import cache_gateway
from tests.servers import Gateway

QUESTION = [{"role": "user", "content": "Which ocean is the largest?"}]


def _status(gateway: Gateway, secret: str) -> str:
    raw = gateway.sdk(secret).chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=QUESTION)
    return str(raw.headers["x-rungway-cache"])


def _counters(url: str) -> str:
    return f"counters:\n  backend: redis\n  redis_url: {url}\n  key_prefix: 'test:{secrets.token_hex(6)}:'\n"


def test_a_second_replica_serves_what_the_first_stored_through_redis(
    gateway_factory: Callable[..., Gateway], redis_url: str, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path}/shared.db"
    counters = _counters(redis_url)
    first = cache_gateway(gateway_factory, store, extra=counters)  # refresh_s 3600: only Redis can share it
    second = cache_gateway(gateway_factory, store, extra=counters)
    key = first.create_key("exact")
    second.state.directory.put_key(key.key)
    assert _status(first, key.secret) == "miss"
    first.flush()
    assert _status(second, key.secret) == "hit"


def test_a_redis_that_is_down_is_a_miss_and_the_call_is_answered(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = cache_gateway(gateway_factory)
    runtime = gateway.state.slots[CACHE]
    runtime.redis = RedisTier("redis://127.0.0.1:1/0", "test:")  # nothing listens on port 1
    key = gateway.create_key("exact").secret
    assert _status(gateway, key) == "miss"
    gateway.flush()
    runtime.memory.drop_namespace("exact")  # only Redis could answer now, and it is down
    assert _status(gateway, key) == "miss"
    assert runtime.redis.errors >= 2
