"""The `openai` provider: any OpenAI-compatible API (OpenAI, Azure OpenAI, vLLM, Ollama, ...).

The gateway speaks the OpenAI wire format already, so this adapter is a thin, fast relay: it
sends the request as orjson bytes, returns the upstream's bytes unchanged and parses them once
for usage. Streams always ask the upstream for usage (`stream_options.include_usage`), so every
streamed call can be priced. Azure OpenAI is selected by `deployment` / `azure_deployment` or
`api_version`: its URL shape and `api-key` header differ, the body does not. `/v1/responses` calls go to
the upstream's own Responses API when `responses_api` is true (the default for OpenAI's base URL; vLLM,
Ollama and other servers get them translated to chat completions), answered as the upstream sent them
(`NativeSpeaker`; read as chat for the records by `openai_responses`).

    providers:
      openai:  {type: openai, api_key: "${OPENAI_API_KEY}"}
      azure:   {type: openai, base_url: https://NAME.openai.azure.com, api_key: "${AZURE_KEY}",
                deployment: "{model}", api_version: "2024-10-21"}
      local:   {type: openai, base_url: http://127.0.0.1:11434/v1}          # Ollama, no key
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import orjson

from rungway.domain.usage import Usage
from rungway.errors import UpstreamError
from rungway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedCall,
    EmbedResult,
    ModerateCall,
    ModerateResult,
    NativeCall,
    NativeEvent,
    NativeResult,
    StreamChunk,
)
from rungway.providers.http import UpstreamClient, load_json, optional_str, parse_http_options, upstream_failure
from rungway.providers.openai_responses import ResponsesEventReader, response_as_chat
from rungway.providers.registry import register_provider
from rungway.settings.config import ProviderConfig

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_AZURE_API_VERSION = "2024-10-21"
_OPTIONS = ("organization", "project", "deployment", "azure_deployment", "api_version", "responses_api")
_DONE = b"[DONE]"


class OpenAIProvider:
    """Relays chat completions and embeddings to an OpenAI-compatible base URL."""

    def __init__(
        self,
        name: str,
        client: UpstreamClient,
        headers: Mapping[str, str],
        deployment: str | None = None,
        api_version: str | None = None,
        responses_api: bool = False,
    ) -> None:
        self.name = name
        self.account = client.options.account
        self.client = client
        self._headers = dict(headers)
        self._deployment = deployment
        self._query = f"?api-version={quote(api_version)}" if api_version else ""
        base = client.options.base_url
        self._chat_url = f"{base}/chat/completions"
        self._embed_url = f"{base}/embeddings"
        self._moderate_url = f"{base}/moderations"
        self._responses_url = f"{base}/responses"
        # `/v1/responses` calls go to the upstream's own Responses API (OpenAI's), else through chat completions.
        self.native_apis = frozenset({"responses"}) if responses_api and deployment is None else frozenset()

    async def start(self) -> None:
        await self.client.start()

    async def close(self) -> None:
        await self.client.close()

    def _url(self, endpoint: str, model: Any) -> str:
        if self._deployment is None:
            if endpoint == "moderations":
                return self._moderate_url
            return self._chat_url if endpoint == "chat/completions" else self._embed_url
        deployment = self._deployment.replace("{model}", str(model))
        base = self.client.options.base_url
        return f"{base}/openai/deployments/{quote(deployment, safe='')}/{endpoint}{self._query}"

    def _headers_for(self, call_headers: Mapping[str, str]) -> Mapping[str, str]:
        traceparent = call_headers.get("traceparent")
        if traceparent is None:
            return self._headers
        return {**self._headers, "traceparent": traceparent}

    async def _post_json(
        self, path: str, body: dict[str, Any], call_headers: Mapping[str, str], timeout_s: float
    ) -> tuple[bytes, dict[str, Any]]:
        """POST `body`; the answer's raw bytes and parsed object, or the mapped upstream error."""
        url = self._url(path, body.get("model"))
        status, raw, headers = await self.client.post(
            url, orjson.dumps(body), self._headers_for(call_headers), timeout_s
        )
        if status != 200:
            raise upstream_failure(self.name, status, raw, headers)
        data = load_json(self.name, raw)
        if not isinstance(data, dict):
            raise UpstreamError(f"{self.name}: the upstream's answer is not a JSON object")
        return raw, data

    async def chat(self, call: ChatCall) -> ChatResult:
        raw, data = await self._post_json("chat/completions", call.body, call.headers, call.timeout_s)
        return ChatResult(raw, data, Usage.from_openai(data.get("usage")))

    async def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        body = call.body
        options = body.get("stream_options")
        wanted = {**options, "include_usage": True} if isinstance(options, dict) else {"include_usage": True}
        payload = orjson.dumps({**body, "stream": True, "stream_options": wanted})
        url = self._url("chat/completions", body.get("model"))
        response = await self.client.open_stream(url, payload, self._headers_for(call.headers), call.timeout_s)
        async with self.client.sse(response) as batches:
            async for batch in batches:
                for event in batch:
                    raw = event.data
                    if raw == _DONE:
                        return
                    try:  # `load_json` inlined: one call less per chunk
                        data = orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        data = load_json(self.name, raw)  # raises the upstream error naming the provider
                    if not isinstance(data, dict):
                        continue
                    if "error" in data and "choices" not in data:
                        raise upstream_failure(self.name, _stream_error_status(data), raw, {})
                    usage = data.get("usage")
                    yield StreamChunk(data, raw, Usage.from_openai(usage) if usage else None)

    async def native(self, call: NativeCall) -> NativeResult:
        status, raw, headers = await self.client.post(
            self._responses_url,
            orjson.dumps({**call.body, "stream": False}),
            self._headers_for(call.headers),
            call.timeout_s,
        )
        if status != 200:
            raise upstream_failure(self.name, status, raw, headers)
        data = load_json(self.name, raw)
        if not isinstance(data, dict) or not isinstance(data.get("output"), list):
            raise UpstreamError(f"{self.name}: the upstream's answer is not a Responses API response object")
        if data.get("status") == "failed":
            raise upstream_failure(self.name, 502, raw, {})
        chat, usage = response_as_chat(data, int(time.time()))
        return NativeResult(data, chat, usage)

    async def native_stream(self, call: NativeCall) -> AsyncIterator[NativeEvent]:
        payload = orjson.dumps({**call.body, "stream": True})
        response = await self.client.open_stream(
            self._responses_url, payload, self._headers_for(call.headers), call.timeout_s
        )
        reader = ResponsesEventReader(int(time.time()), str(call.body.get("model")))
        async with self.client.sse(response) as batches:
            async for batch in batches:
                for event in batch:
                    data = load_json(self.name, event.data)
                    if not isinstance(data, dict):
                        continue
                    kind = data.get("type")
                    if kind in ("error", "response.failed"):
                        raise upstream_failure(self.name, _stream_error_status(data), event.data, {})
                    chunks = [
                        StreamChunk(chunk, None, None if chunk["choices"] else reader.usage)
                        for chunk in reader.read(data)
                    ]
                    yield NativeEvent(event.name, event.data, data, chunks)
                    if reader.finished:
                        return
        raise UpstreamError(f"{self.name}: the stream ended before the response's completed event")

    async def embed(self, call: EmbedCall) -> EmbedResult:
        raw, data = await self._post_json("embeddings", call.body, call.headers, call.timeout_s)
        usage = data.get("usage") or {}
        tokens = usage.get("prompt_tokens") or usage.get("total_tokens")
        return EmbedResult(raw, data, Usage.reported(tokens, 0) if usage else None)

    async def moderate(self, call: ModerateCall) -> ModerateResult:
        raw, data = await self._post_json("moderations", call.body, call.headers, call.timeout_s)
        if not isinstance(data.get("results"), list):
            raise UpstreamError(f"{self.name}: the upstream's moderation answer has no 'results' array")
        return ModerateResult(raw, data)


def _stream_error_status(data: dict[str, Any]) -> int:
    """An error sent inside a 200 stream (vLLM, some proxies): use its numeric code when it has one."""
    error = data.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if isinstance(code, int) and 400 <= code <= 599:
        return code
    return 502


@register_provider("openai")
def create_openai(config: ProviderConfig) -> OpenAIProvider:
    options = parse_http_options(config, DEFAULT_BASE_URL, _OPTIONS)
    deployment = optional_str(config, "azure_deployment") or optional_str(config, "deployment")
    api_version = optional_str(config, "api_version")
    azure = deployment is not None or api_version is not None
    headers = {"Content-Type": "application/json", **options.headers}
    if options.api_key:
        if azure:
            headers["api-key"] = options.api_key
        else:
            headers["Authorization"] = f"Bearer {options.api_key}"
    organization = optional_str(config, "organization")
    if organization:
        headers["OpenAI-Organization"] = organization
    project = optional_str(config, "project")
    if project:
        headers["OpenAI-Project"] = project
    if azure:
        deployment = deployment or "{model}"
        api_version = api_version or DEFAULT_AZURE_API_VERSION
        if options.base_url.endswith("/openai") or "/deployments" in options.base_url:
            raise config.error(
                "base_url",
                f"for Azure, base_url is the resource endpoint, got {options.base_url!r}",
                "write `base_url: https://NAME.openai.azure.com` (the adapter adds /openai/deployments/...)",
            )
    responses_api = config.options.get("responses_api", options.base_url == DEFAULT_BASE_URL)
    if not isinstance(responses_api, bool):
        problem = f"expected true or false, got {responses_api!r}"
        raise config.error("responses_api", problem, "write `responses_api: true` when the upstream serves /responses")
    client = UpstreamClient(config.name, options)
    return OpenAIProvider(config.name, client, headers, deployment if azure else None, api_version, responses_api)
