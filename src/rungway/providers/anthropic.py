"""The `anthropic` provider: Anthropic's Messages API behind the OpenAI chat format.

Requests and answers are translated both ways by `anthropic_wire` (streams event by event), so
OpenAI SDK clients, tools and streaming with usage work unchanged against Claude models. Anthropic
has no embeddings endpoint: embedding calls routed here get a 400 saying so. A `/v1/messages` call is
sent as the client wrote it (`NativeSpeaker`): its answer, every block and event included, goes back as
Anthropic sent it, and is read as a chat completion only for the gateway's own records.

    providers:
      anthropic: {type: anthropic, api_key: "${ANTHROPIC_API_KEY}"}   # api_version: 2023-06-01
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping

import orjson

from rungway.errors import RungwayError, UpstreamError, UpstreamRejected
from rungway.providers.anthropic_wire import (
    ERROR_STATUS,
    StreamTranslator,
    to_chat_completion,
    to_messages_request,
)
from rungway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedCall,
    EmbedResult,
    NativeCall,
    NativeEvent,
    NativeResult,
    StreamChunk,
)
from rungway.providers.http import (
    UpstreamClient,
    load_json,
    optional_str,
    parse_http_options,
    positive_int,
    upstream_failure,
)
from rungway.providers.registry import register_provider
from rungway.settings.config import ProviderConfig

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
_OPTIONS = ("api_version", "max_tokens", "beta")


class AnthropicProvider:
    """Calls `POST {base_url}/v1/messages`, translating to and from the OpenAI chat format (or not at all,
    for a Messages call: `native`)."""

    native_apis = frozenset({"messages"})

    def __init__(self, name: str, client: UpstreamClient, headers: Mapping[str, str], max_tokens: int) -> None:
        self.name = name
        self.account = client.options.account
        self.client = client
        self.max_tokens = max_tokens
        self._headers = dict(headers)
        base = client.options.base_url
        self._url = f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    async def start(self) -> None:
        await self.client.start()

    async def close(self) -> None:
        await self.client.close()

    def _headers_for(self, call_headers: Mapping[str, str]) -> Mapping[str, str]:
        traceparent = call_headers.get("traceparent")
        beta = call_headers.get("anthropic-beta")
        if traceparent is None and beta is None:
            return self._headers
        headers = dict(self._headers)
        if traceparent is not None:
            headers["traceparent"] = traceparent
        if beta is not None:  # the client's beta features (a native call), beside the configured ones
            configured = headers.get("anthropic-beta")
            headers["anthropic-beta"] = f"{configured},{beta}" if configured else beta
        return headers

    async def native(self, call: NativeCall) -> NativeResult:
        body = dict(call.body)
        body.pop("stream", None)
        status, raw, headers = await self.client.post(
            self._url, orjson.dumps(body), self._headers_for(call.headers), call.timeout_s
        )
        if status != 200:
            raise upstream_failure(self.name, status, raw, headers)
        message = load_json(self.name, raw)
        if not isinstance(message, dict) or message.get("type") == "error":
            raise _stream_error(self.name, message)
        chat, usage = to_chat_completion(message, None, int(time.time()))
        return NativeResult(message, chat, usage)

    async def native_stream(self, call: NativeCall) -> AsyncIterator[NativeEvent]:
        body = {**call.body, "stream": True}
        response = await self.client.open_stream(
            self._url, orjson.dumps(body), self._headers_for(call.headers), call.timeout_s
        )
        translator = StreamTranslator(None, int(time.time()), str(body.get("model")))
        async with self.client.sse(response) as batches:
            async for batch in batches:
                for event in batch:
                    data = load_json(self.name, event.data)
                    if not isinstance(data, dict):
                        continue
                    if data.get("type") == "error":
                        raise _stream_error(self.name, data)
                    chunks = [
                        StreamChunk(chunk, None, None if chunk["choices"] else translator.usage)
                        for chunk in translator.translate(data)
                    ]
                    yield NativeEvent(event.name, event.data, data, chunks)
                    if translator.finished:
                        break
                if translator.finished:
                    break
        if not translator.finished:
            raise UpstreamError(f"{self.name}: the stream ended before Anthropic's message_stop event")

    async def chat(self, call: ChatCall) -> ChatResult:
        request = to_messages_request(call.body, self.max_tokens)
        request.body.pop("stream", None)
        status, raw, headers = await self.client.post(
            self._url, orjson.dumps(request.body), self._headers_for(call.headers), call.timeout_s
        )
        if status != 200:
            raise upstream_failure(self.name, status, raw, headers)
        message = load_json(self.name, raw)
        if not isinstance(message, dict) or message.get("type") == "error":
            raise _stream_error(self.name, message)
        data, usage = to_chat_completion(message, request.schema_tool, int(time.time()))
        return ChatResult(orjson.dumps(data), data, usage)

    async def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        request = to_messages_request(call.body, self.max_tokens)
        request.body["stream"] = True
        response = await self.client.open_stream(
            self._url, orjson.dumps(request.body), self._headers_for(call.headers), call.timeout_s
        )
        translator = StreamTranslator(request.schema_tool, int(time.time()), str(call.body.get("model")))
        async with self.client.sse(response) as batches:
            async for batch in batches:
                for event in batch:
                    data = load_json(self.name, event.data)
                    if not isinstance(data, dict):
                        continue
                    if data.get("type") == "error":
                        raise _stream_error(self.name, data)
                    for chunk in translator.translate(data):
                        yield StreamChunk(chunk, None, None if chunk["choices"] else translator.usage)
                    if translator.finished:
                        break
                if translator.finished:
                    break
        if not translator.finished:
            raise UpstreamError(f"{self.name}: the stream ended before Anthropic's message_stop event")

    async def embed(self, call: EmbedCall) -> EmbedResult:
        raise UpstreamRejected(
            f"The model {call.body.get('model')!r} is served by an anthropic provider, and Anthropic has no "
            "embeddings API. Route embedding models to an openai-type provider instead.",
            status=400,
            code="embeddings_not_supported",
        )


def _stream_error(provider: str, data: object) -> RungwayError:
    """An error Anthropic sent inside a 200 answer (an `error` stream event)."""
    error = data.get("error") if isinstance(data, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    status = ERROR_STATUS.get(str(kind), 502)
    return upstream_failure(provider, status, orjson.dumps(data), {})


@register_provider("anthropic")
def create_anthropic(config: ProviderConfig) -> AnthropicProvider:
    options = parse_http_options(config, DEFAULT_BASE_URL, _OPTIONS)
    headers = {
        "Content-Type": "application/json",
        "anthropic-version": optional_str(config, "api_version") or DEFAULT_API_VERSION,
        **options.headers,
    }
    if options.api_key:
        headers["x-api-key"] = options.api_key
    beta = config.options.get("beta")
    if beta:
        if isinstance(beta, list) and all(isinstance(b, str) for b in beta):
            headers["anthropic-beta"] = ",".join(beta)
        elif isinstance(beta, str):
            headers["anthropic-beta"] = beta
        else:
            problem = f"expected a string or a list of strings, got {beta!r}"
            raise config.error("beta", problem, "write e.g. `beta: [prompt-caching-2024-07-31]`")
    max_tokens = positive_int(config, "max_tokens", DEFAULT_MAX_TOKENS)
    client = UpstreamClient(config.name, options)
    return AnthropicProvider(config.name, client, headers, max_tokens)
