"""The admin key sent to /v1 is named as such, with what to use instead, not reported as an incorrect key."""

from __future__ import annotations

import openai
import pytest

from tests.api.http import ADMIN
from tests.servers import Gateway


def test_admin_key_on_v1_says_it_is_for_the_management_api_and_a_workload_key_is_needed(gateway: Gateway) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        gateway.sdk(ADMIN).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    error = caught.value.body
    assert isinstance(error, dict), error
    assert error["code"] == "admin_key_not_for_gateway"
    assert "management API" in error["message"] and "rungway keys create --workload" in error["message"]
    assert "Incorrect API key" not in error["message"] and ADMIN not in error["message"]


def test_an_unknown_key_on_v1_is_still_an_incorrect_key(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        gateway.sdk("rw-not-a-key").models.list()
