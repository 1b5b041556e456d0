"""RUNGWAY_REDIS_URL turns Redis counters on, as documented, even when the file names `backend: memory`."""

from __future__ import annotations

import secrets
from pathlib import Path

import openai
import pytest

from rungway.settings.config import load_config
from rungway.settings.env import read_environment
from tests.servers import Gateway

CONFIG = """
store:
  url: sqlite:///{db}
counters:
  backend: memory
  key_prefix: "{prefix}"
providers:
  sim: {{type: simulator, latency_ms: 0}}
models:
  gpt-4o-mini: {{provider: sim}}
workloads:
  shared:
    rpm: 1
"""


def _config(tmp_path: Path, name: str, prefix: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(CONFIG.format(db=tmp_path / f"{name}.db", prefix=prefix))
    return path


def test_the_file_alone_keeps_memory_counters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNGWAY_REDIS_URL", raising=False)
    config = load_config(_config(tmp_path, "one", "p:"), read_environment())
    assert config.counters.backend == "memory" and config.counters.redis_url is None


def test_rungway_redis_url_wins_over_backend_memory_and_shares_limits_across_replicas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    monkeypatch.setenv("RUNGWAY_REDIS_URL", redis_url)
    prefix = f"test:{secrets.token_hex(6)}:"
    configs = [load_config(_config(tmp_path, name, prefix), read_environment()) for name in ("one", "two")]
    assert {(c.counters.backend, c.counters.redis_url) for c in configs} == {("redis", redis_url)}
    replicas = [Gateway(config) for config in configs]
    try:
        messages = [{"role": "user", "content": "hi"}]
        replicas[0].sdk(replicas[0].create_key("shared").secret).chat.completions.create(
            model="gpt-4o-mini", messages=messages
        )  # the workload's one request this minute, counted in Redis
        with pytest.raises(openai.RateLimitError):
            replicas[1].sdk(replicas[1].create_key("shared").secret).chat.completions.create(
                model="gpt-4o-mini", messages=messages
            )
    finally:
        for replica in replicas:
            replica.stop()
