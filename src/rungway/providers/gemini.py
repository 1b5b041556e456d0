"""The `gemini` provider: Google's Gemini API (generativelanguage.googleapis.com) behind the OpenAI format.

Chat goes to `models/{model}:generateContent` and `:streamGenerateContent?alt=sse`, embeddings to
`:batchEmbedContents`, with the API key in `x-goog-api-key`; requests and answers are translated
by `gemini_wire` (requests), `gemini_answer` (answers, streams, usage, errors) and `gemini_embed`.
No Google SDK: plain HTTP through the shared pooled client of `providers/http.py`.

    providers:
      gemini: {type: gemini, api_key: "${GEMINI_API_KEY}"}
      # schema_style: openapi     send tool and response schemas as Gemini's OpenAPI subset
      # safety_settings: [{category: HARM_CATEGORY_HARASSMENT, threshold: BLOCK_ONLY_HIGH}]
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson

from rungway.domain.usage import Usage, prompt_tokens
from rungway.errors import UpstreamError
from rungway.providers.base import ChatCall, ChatResult, EmbedCall, EmbedResult, StreamChunk
from rungway.providers.gemini_answer import (
    BadAnswer,
    StreamTranslator,
    gemini_failure,
    stream_error_status,
    to_chat_completion,
)
from rungway.providers.gemini_embed import to_embed_request, to_embeddings
from rungway.providers.gemini_wire import SCHEMA_STYLES, model_path, to_gemini_request
from rungway.providers.http import UpstreamClient, load_json, optional_str, parse_http_options
from rungway.providers.registry import register_provider
from rungway.settings.config import ProviderConfig

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
_OPTIONS = ("schema_style", "safety_settings")
_SAFETY_KEYS = frozenset({"category", "threshold", "method"})


class GeminiProvider:
    """Calls Gemini's `generateContent` family, translating to and from the OpenAI formats."""

    def __init__(
        self,
        name: str,
        client: UpstreamClient,
        headers: Mapping[str, str],
        schema_style: str = "json_schema",
        safety_settings: list[dict[str, str]] | None = None,
    ) -> None:
        self.name = name
        self.account = client.options.account
        self.client = client
        self.schema_style = schema_style
        self.safety_settings = safety_settings
        self._headers = dict(headers)
        self._base = client.options.base_url

    async def start(self) -> None:
        await self.client.start()

    async def close(self) -> None:
        await self.client.close()

    def _headers_for(self, call_headers: Mapping[str, str]) -> Mapping[str, str]:
        traceparent = call_headers.get("traceparent")
        if traceparent is None:
            return self._headers
        return {**self._headers, "traceparent": traceparent}

    def _request(self, body: dict[str, Any]) -> tuple[bytes, str, int]:
        request = to_gemini_request(body, self.schema_style)
        if self.safety_settings:
            request.body["safetySettings"] = self.safety_settings
        return orjson.dumps(request.body), request.model, request.choices

    async def _post(self, url: str, payload: bytes, headers: Mapping[str, str], timeout_s: float) -> Any:
        status, raw, answer_headers = await self.client.post(url, payload, self._headers_for(headers), timeout_s)
        if status != 200:
            raise gemini_failure(self.name, status, raw, answer_headers)
        return load_json(self.name, raw)

    def _bad(self, exc: BadAnswer) -> UpstreamError:
        return UpstreamError(
            f"{self.name}: the upstream's answer is not a Gemini answer: {exc}", code="upstream_bad_answer"
        )

    async def chat(self, call: ChatCall) -> ChatResult:
        payload, model, choices = self._request(call.body)
        answer = await self._post(f"{self._base}/{model}:generateContent", payload, call.headers, call.timeout_s)
        if isinstance(answer, dict) and "error" in answer and "candidates" not in answer:
            raise gemini_failure(self.name, stream_error_status(answer), orjson.dumps(answer), {})
        try:
            data, usage = to_chat_completion(answer, str(call.body.get("model")), int(time.time()), choices)
        except BadAnswer as exc:
            raise self._bad(exc) from None
        return ChatResult(orjson.dumps(data), data, usage)

    async def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        payload, model, choices = self._request(call.body)
        url = f"{self._base}/{model}:streamGenerateContent?alt=sse"
        response = await self.client.open_stream(url, payload, self._headers_for(call.headers), call.timeout_s)
        translator = StreamTranslator(str(call.body.get("model")), int(time.time()), choices)
        async with self.client.sse(response) as batches:
            async for batch in batches:
                for event in batch:
                    data = load_json(self.name, event.data)
                    if isinstance(data, dict) and "error" in data and "candidates" not in data:
                        raise gemini_failure(self.name, stream_error_status(data), event.data, {})
                    try:
                        chunks = translator.translate(data)
                    except BadAnswer as exc:
                        raise self._bad(exc) from None
                    for chunk in chunks:
                        yield StreamChunk(chunk)
        if not translator.finished:
            raise UpstreamError(f"{self.name}: the stream ended before Gemini gave every candidate's finishReason")
        try:
            final = translator.usage_chunk()
        except BadAnswer as exc:
            raise self._bad(exc) from None
        yield StreamChunk(final, None, translator.usage)

    async def embed(self, call: EmbedCall) -> EmbedResult:
        model = model_path(call.body.get("model"))
        request, count = to_embed_request(call.body, model)
        url = f"{self._base}/{model}:batchEmbedContents"
        answer = await self._post(url, orjson.dumps(request), call.headers, call.timeout_s)
        tokens = prompt_tokens(call.body)
        try:
            data = to_embeddings(answer, str(call.body.get("model")), count, call.body.get("encoding_format"), tokens)
        except BadAnswer as exc:
            raise self._bad(exc) from None
        return EmbedResult(orjson.dumps(data), data, Usage(input=tokens))


def _safety_settings(config: ProviderConfig) -> list[dict[str, str]] | None:
    value = config.options.get("safety_settings")
    if value is None:
        return None
    fix = "write e.g. `safety_settings: [{category: HARM_CATEGORY_HARASSMENT, threshold: BLOCK_ONLY_HIGH}]`"
    if not isinstance(value, list):
        raise config.error("safety_settings", f"expected a list, got {value!r}", fix)
    for index, item in enumerate(value):
        ok = isinstance(item, dict) and {"category", "threshold"} <= set(item) <= _SAFETY_KEYS
        if not ok or not all(isinstance(v, str) for v in item.values()):
            problem = f"item {index}: expected {{category, threshold}} strings, got {item!r}"
            raise config.error("safety_settings", problem, fix)
    return [dict(item) for item in value]


@register_provider("gemini")
def create_gemini(config: ProviderConfig) -> GeminiProvider:
    options = parse_http_options(config, DEFAULT_BASE_URL, _OPTIONS)
    schema_style = optional_str(config, "schema_style") or "json_schema"
    if schema_style not in SCHEMA_STYLES:
        raise config.error(
            "schema_style",
            f"expected one of {', '.join(SCHEMA_STYLES)}, got {schema_style!r}",
            "write `schema_style: json_schema` (JSON Schema as sent) or `schema_style: openapi` (Gemini's subset)",
        )
    headers = {"Content-Type": "application/json", **options.headers}
    if options.api_key:
        headers["x-goog-api-key"] = options.api_key
    client = UpstreamClient(config.name, options)
    return GeminiProvider(config.name, client, headers, schema_style, _safety_settings(config))
