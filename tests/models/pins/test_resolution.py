"""Pins through the gateway with the openai SDK: a floating alias serves the workload's pin and the log
says so; refuse mode names the snapshots to use; a pin set through the API serves at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import openai
import pytest

from rungway.models.pins.service import PINS
from tests.api.http import call
from tests.models.pins.support import CONFIG, logged
from tests.servers import Gateway


def test_floating_alias_resolves_to_the_workloads_pin_and_the_log_records_requested_vs_resolved(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(CONFIG)
    sdk = gw.sdk(gw.create_key("test").secret)
    reply = sdk.chat.completions.create(model="gpt-4o-latest", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content
    other = gw.sdk(gw.create_key("other").secret)
    other.chat.completions.create(model="gpt-4o-latest", messages=[{"role": "user", "content": "hi"}])
    assert logged(gw) == [
        ("gpt-4o-latest", "gpt-4o-2024-08-06", True, 200),  # pinned by the workload at call time
        ("gpt-4o-latest", "gpt-4o-latest", False, 200),  # another workload: still floating
    ]


def test_refuse_mode_answers_400_naming_what_to_use(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CONFIG)
    sdk = gw.sdk(gw.create_key("strict").secret)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.chat.completions.create(model="gpt-4o-latest", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.code == "floating_model_refused"
    assert "floating alias" in refused.value.message and "pins set gpt-4o-latest" in refused.value.message
    # a dated snapshot is served
    sdk.chat.completions.create(model="gpt-4o-2024-08-06", messages=[{"role": "user", "content": "hi"}])
    assert logged(gw)[-1] == ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", True, 200)


def test_a_pin_set_through_the_api_serves_at_once_and_rollback_restores_the_seed(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(CONFIG)
    key = gw.create_key("test").secret
    status, change = call(gw, "PUT", "/api/models/pins/gpt-4o-latest", key,
                          {"snapshot": "gpt-4o-2024-11-20", "reason": "newer snapshot passed evals"})  # fmt: skip
    assert status == 200, change
    assert (change["from"], change["to"], change["kind"]) == ("gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "set")
    sdk = gw.sdk(key)
    sdk.chat.completions.create(model="gpt-4o-latest", messages=[{"role": "user", "content": "hi"}])
    assert logged(gw)[-1][:2] == ("gpt-4o-latest", "gpt-4o-2024-11-20")
    status, back = call(gw, "POST", "/api/models/pins/gpt-4o-latest/rollback", key, {"reason": "latency"})
    assert status == 200 and (back["from"], back["to"]) == ("gpt-4o-2024-11-20", "gpt-4o-2024-08-06")
    sdk.chat.completions.create(model="gpt-4o-latest", messages=[{"role": "user", "content": "hi"}])
    assert logged(gw)[-1][:2] == ("gpt-4o-latest", "gpt-4o-2024-08-06")
    status, history = call(gw, "GET", "/api/models/pins/history", key)
    assert [c["kind"] for c in history["data"]] == ["rollback", "set"]
    assert history["data"][1]["reason"] == "newer snapshot passed evals"


def test_a_pin_set_on_one_server_reaches_another_through_the_background_refresh(
    gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    config = CONFIG.replace("  refresh: 1s\n", "  refresh: 0.1s\n")
    first, second = gateway_factory(config, store_url=url), gateway_factory(config, store_url=url)
    key = first.create_key("test").secret
    body = {"snapshot": "gpt-4o-2024-11-20", "reason": "newer"}
    assert call(first, "PUT", "/api/models/pins/gpt-4o-latest", key, body)[0] == 200
    book = second.state.slots[PINS].book
    deadline = time.monotonic() + 30
    while book.pin("test", "gpt-4o-latest") != "gpt-4o-2024-11-20":
        assert time.monotonic() < deadline, "the second server never reloaded the pins"
        time.sleep(0.05)
