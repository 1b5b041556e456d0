"""`GET /v1/models/{id}` with the openai SDK's `models.retrieve`: OpenAI's model object for a model the key
may use; 404 in OpenAI's shape for an unknown model and for one the key may not use (no hint it exists)."""

from __future__ import annotations

import openai
import pytest

from tests.servers import Gateway


def test_retrieve_answers_openais_model_object_for_a_model_the_key_may_use(gateway: Gateway) -> None:
    model = gateway.sdk(gateway.create_key().secret).models.retrieve("gpt-4o-mini")
    assert (model.id, model.object, model.owned_by) == ("gpt-4o-mini", "model", "sim")
    assert isinstance(model.created, int) and model.created > 0


def test_retrieve_is_a_404_for_an_unknown_model_and_for_one_the_key_may_not_use(gateway: Gateway) -> None:
    narrow = gateway.sdk(gateway.create_key(allowed_models=("gpt-4o",)).secret)
    assert narrow.models.retrieve("gpt-4o").id == "gpt-4o"
    for name in ("gpt-4o-mini", "no-such-model"):
        with pytest.raises(openai.NotFoundError) as missing:
            narrow.models.retrieve(name)
        assert missing.value.code == "model_not_found" and name in missing.value.message
        assert missing.value.body == {
            "message": f"The model `{name}` does not exist or you do not have access to it.",
            "type": "invalid_request_error",
            "param": None,
            "code": "model_not_found",
        }


def test_retrieve_needs_a_valid_key(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        gateway.sdk("rw-not-a-key").models.retrieve("gpt-4o-mini")
