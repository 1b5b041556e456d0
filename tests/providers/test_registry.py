"""Third-party providers plug in through the public `register_provider` door, like the built-ins."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import openai
import orjson
import pytest

from rungway.domain.usage import Usage
from rungway.errors import ConfigError
from rungway.providers.base import ChatCall, ChatResult, EmbedCall, EmbedResult, StreamChunk
from rungway.providers.registry import create_provider, register_provider
from rungway.settings.config import ProviderConfig
from tests.servers import Gateway, write_config


class EchoProvider:
    """A plugin provider that answers with the last user message, shouted."""

    def __init__(self, name: str, suffix: str) -> None:
        self.name = name
        self.account = "echo-account"
        self.suffix = suffix

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _text(self, call: ChatCall) -> str:
        return str(call.body["messages"][-1]["content"]).upper() + self.suffix

    async def chat(self, call: ChatCall) -> ChatResult:
        message = {"role": "assistant", "content": self._text(call)}
        data = {
            "id": "chatcmpl-echo",
            "object": "chat.completion",
            "created": 0,
            "model": call.body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
            "usage": Usage(input=2, output=1).to_openai(),
        }
        return ChatResult(orjson.dumps(data), data, Usage(input=2, output=1))

    async def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        base = {"id": "chatcmpl-echo", "object": "chat.completion.chunk", "created": 0, "model": call.body["model"]}
        choice = {"index": 0, "delta": {"role": "assistant", "content": self._text(call)}, "finish_reason": "stop"}
        yield StreamChunk({**base, "choices": [choice]})
        yield StreamChunk({**base, "choices": [], "usage": Usage(2, 1).to_openai()}, usage=Usage(2, 1))

    async def embed(self, call: EmbedCall) -> EmbedResult:
        data = {"object": "list", "data": [], "model": call.body["model"], "usage": {"prompt_tokens": 0}}
        return EmbedResult(orjson.dumps(data), data, None)


@register_provider("echo-test")
def create_echo(config: ProviderConfig) -> EchoProvider:
    return EchoProvider(config.name, str(config.options.get("suffix", "!")))


CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  echo:
    type: echo-test
    suffix: "?!"
models:
  shout:
    provider: echo
workloads:
  test: {}
"""


def test_a_registered_plugin_provider_can_be_routed_to(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = gateway_factory(CONFIG)
    client = openai.OpenAI(base_url=gateway.openai_base, api_key=gateway.create_key().secret, max_retries=0)
    reply = client.chat.completions.create(model="shout", messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content == "HELLO?!"
    chunks = list(
        client.chat.completions.create(
            model="shout",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices[0].delta.content == "HI?!" and chunks[-1].usage is not None
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        rows = conn.exec_driver_sql("select provider, provider_account, tokens_in from requests").fetchall()
    assert [tuple(r) for r in rows] == [("echo", "echo-account", 2)] * 2


def test_an_unknown_provider_type_names_the_known_ones(tmp_path: Path) -> None:
    config = write_config(tmp_path, "providers:\n  p:\n    type: nonesuch\nmodels: {}\n")
    with pytest.raises(ConfigError, match=r"providers\.p\.type: unknown provider type 'nonesuch'.*anthropic.*openai"):
        create_provider(config.providers["p"])


def test_importing_the_built_in_adapters_imports_no_sdk() -> None:
    code = (
        "import sys, rungway.providers.openai, rungway.providers.anthropic, rungway.providers.simulator\n"
        "loaded = [m for m in ('openai', 'anthropic', 'httpx') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_http_provider_option_is_documented_in_the_readme() -> None:
    from rungway.providers import anthropic as anthropic_module
    from rungway.providers import http
    from rungway.providers import openai as openai_module

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    options = set(http.COMMON_OPTIONS) | set(openai_module._OPTIONS) | set(anthropic_module._OPTIONS)
    assert sorted(o for o in options if f"`{o}`" not in readme) == []
