"""The in-process model client: a judge's chat and an embedding call go to the gateway's served model, and what
their tokens cost at the model's price is added to the job's meter; an unserved model is a ModelCallError."""

from __future__ import annotations

import asyncio

import pytest

from rungway.evals.public import ChatRequest, ModelCallError
from rungway.online_evals.models import METER, GatewayModels, SpendMeter
from tests.servers import Gateway


def test_calls_are_metered_into_the_jobs_meter(gateway: Gateway) -> None:
    models = GatewayModels(gateway.state, timeout_s=10)

    async def run() -> tuple[SpendMeter, str, list[list[float]]]:
        meter = SpendMeter()
        token = METER.set(meter)
        try:
            reply = await models.chat(ChatRequest("gpt-4o-mini", (("user", "Is 2+2=4?"),)))
            vectors = await models.embed("text-embedding-3-small", ["a", "b"])
        finally:
            METER.reset(token)
        return meter, reply.model, vectors

    meter, model, vectors = gateway.call(run)
    assert meter.calls == 2 and meter.cost_nano > 0 and model == "gpt-4o-mini" and len(vectors) == 2
    unpriced = gateway.call(lambda: models.chat(ChatRequest("unpriced-model", (("user", "hi"),))))
    assert unpriced.text  # answered; no meter set, nothing counted


def test_an_unserved_model_is_a_model_call_error(gateway: Gateway) -> None:
    models = GatewayModels(gateway.state, timeout_s=10)
    with pytest.raises(ModelCallError, match="not served by this gateway"):
        asyncio.run(models.chat(ChatRequest("gpt-9", (("user", "hi"),))))
    with pytest.raises(ModelCallError, match="not served by this gateway"):
        asyncio.run(models.embed("nope", ["x"]))
