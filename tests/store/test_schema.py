"""Every integer a config or caller value lands in holds 64 bits on both stores; config refuses more."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.errors import ConfigError
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.schema import requests, workloads
from tests.servers import Gateway, write_config

BIG = 10**11  # past int4's 2,147,483,647
INT64_MAX = 2**63 - 1

CONFIG = """
store:
  url: {store_url}
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
workloads:
  bulk:
    tpm: 100000000000
    rpm: 9223372036854775807
"""


def test_workload_limits_past_32_bits_start_and_serve(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    gateway = gateway_factory(CONFIG, store_url=store_url)
    reply = gateway.sdk(gateway.create_key("bulk").secret).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices
    with gateway.state.engine.connect() as conn:
        row = conn.execute(select(workloads.c.tpm_limit, workloads.c.rpm_limit).where(workloads.c.name == "bulk")).one()
    assert tuple(row) == (BIG, INT64_MAX)


def test_token_counts_past_32_bits_are_stored(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    now = time.time()
    big = RequestRecord(
        id="req_big",
        ts_start=now,
        ts_end=now,
        workload="w",
        key_id="k",
        user=None,
        team=None,
        tokens_in=BIG,
        tokens_out=BIG,
        tokens_cached=INT64_MAX,
    )
    insert_requests(engine, [big])
    with engine.connect() as conn:
        row = conn.execute(select(requests.c.tokens_in, requests.c.tokens_cached)).one()
    engine.dispose()
    assert tuple(row) == (BIG, INT64_MAX)


@pytest.mark.parametrize(
    ("value", "problem"),
    [(2**63, "above the largest value stored"), (-1, "expected a whole number >= 1")],
)
def test_config_refuses_integers_outside_64_bits_naming_the_key(tmp_path: Path, value: int, problem: str) -> None:
    text = CONFIG.replace("{store_url}", f"sqlite:///{tmp_path}/x.db").replace("100000000000", str(value))
    with pytest.raises(ConfigError) as caught:
        write_config(tmp_path, text)
    message = str(caught.value)
    assert "workloads.bulk.tpm" in message and problem in message and "rungway.yaml" in message
