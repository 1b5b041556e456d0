"""The OpenAI Agents SDK runs an Agent with a function tool against the gateway's Responses API (simulator:
it calls the offered tool, then answers in text once the tool's output is back)."""

from __future__ import annotations

import asyncio

from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI

from tests.servers import Gateway


def test_an_agent_runs_its_function_tool_and_answers(gateway: Gateway) -> None:
    set_tracing_disabled(True)
    calls: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        calls.append(city)
        return f"sunny in {city}"

    async def run() -> str:
        client = AsyncOpenAI(base_url=gateway.openai_base, api_key=gateway.create_key().secret, max_retries=0)
        model = OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client)
        agent = Agent(name="weather", instructions="Answer with the weather.", tools=[get_weather], model=model)
        try:
            result = await Runner.run(agent, "What is the weather in Paris?")
        finally:
            await client.close()
        return str(result.final_output)

    final = asyncio.run(run())
    assert len(calls) == 1 and final
    gateway.flush()


def test_an_agent_streams_through_the_gateway(gateway: Gateway) -> None:
    set_tracing_disabled(True)
    ran: list[str] = []

    @function_tool
    def lookup(term: str) -> str:
        """Looks a term up."""
        ran.append(term)
        return "found"

    async def run() -> tuple[str, list[str]]:
        client = AsyncOpenAI(base_url=gateway.openai_base, api_key=gateway.create_key().secret, max_retries=0)
        model = OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client)
        agent = Agent(name="lookup", instructions="Look things up.", tools=[lookup], model=model)
        try:
            result = Runner.run_streamed(agent, "Look up rungway")
            kinds = [event.type async for event in result.stream_events()]
        finally:
            await client.close()
        return str(result.final_output), kinds

    final, kinds = asyncio.run(run())
    assert ran and final and "raw_response_event" in kinds
