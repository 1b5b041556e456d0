"""/metrics stays bounded whatever callers send, and can be closed to everyone but the operator."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from collections.abc import Callable

import openai
import pytest

from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway


def scrape(gateway: Gateway, key: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    request = urllib.request.Request(gateway.base_url + "/metrics", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def series(text: str) -> set[str]:
    """The sample lines' names and labels (values left out)."""
    return {line.rpartition(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def calls(gateway: Gateway, secret: str, rounds: int) -> None:
    client = gateway.sdk(secret)
    for _ in range(rounds):
        word = secrets.token_hex(6)
        headers = {"x-rungway-user": f"u-{word}", "x-rungway-tags": f"t-{word}=v-{word}"}
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], user=word, extra_headers=headers
        )
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(
                model=f"no-such-model-{word}", messages=[{"role": "user", "content": "hi"}], extra_headers=headers
            )


def test_random_model_names_users_and_tags_add_no_series(gateway: Gateway) -> None:
    secret = gateway.create_key().secret
    calls(gateway, secret, 1)
    gateway.flush()
    before = series(scrape(gateway)[1])
    calls(gateway, secret, 100)
    gateway.flush()
    after = series(scrape(gateway)[1])
    assert after == before
    assert not [line for line in after if "no-such-model" in line or "u-" in line]


def test_metrics_key_closes_metrics_to_all_but_that_key_and_the_admin_key(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gateway = gateway_factory(SIMULATOR_CONFIG.replace("server:\n", "server:\n  metrics_key: scrape-secret\n", 1))
    developer = gateway.create_key().secret
    for key in (None, "wrong", developer):
        status, body = scrape(gateway, key)
        assert status == 401 and '"type": "authentication_error"' in body.replace('":"', '": "')
        assert "server.metrics_key" in body
    assert scrape(gateway, "scrape-secret")[0] == 200
    status, body = scrape(gateway, "admin-secret")
    assert status == 200 and "rungway_queue_depth" in body


def test_metrics_are_open_when_no_metrics_key_is_set(gateway: Gateway) -> None:
    assert scrape(gateway)[0] == 200
