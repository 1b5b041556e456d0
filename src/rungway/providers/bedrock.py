"""The `bedrock` provider: AWS Bedrock Runtime's Converse and ConverseStream behind the OpenAI chat format.

Requests and answers are translated both ways by `bedrock_wire` (streams event by event, decoded
from AWS's binary event-stream framing by `wire/eventstream.py`). Requests are signed with SigV4 by botocore,
with credentials from the standard AWS chain (environment, shared files, profiles, roles), or carry
a Bedrock API key as a Bearer token. botocore is the optional extra `rungway[bedrock]`, imported
only when a bedrock provider is configured. Converse has no embeddings: Titan embedding models are
called through InvokeModel (`bedrock_embed`).

    providers:
      aws:
        type: bedrock
        region: us-east-1                 # else AWS_REGION / the profile's region
        # profile: prod                   # a named profile from ~/.aws/config
        # endpoint_url: https://bedrock-runtime.us-east-1.amazonaws.com   (a VPC endpoint, a test server)
"""

from __future__ import annotations

import asyncio
import importlib
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from rungway.errors import ConfigError, RungwayError, UpstreamError
from rungway.providers.base import ChatCall, ChatResult, EmbedCall, EmbedResult, StreamChunk
from rungway.providers.bedrock_embed import titan_requests, to_embeddings
from rungway.providers.bedrock_errors import STREAM_ERROR_STATUS, error_for, error_message, error_type_of
from rungway.providers.bedrock_wire import StreamTranslator, malformed, to_chat_completion, to_converse_request
from rungway.providers.http import (
    UpstreamClient,
    load_json,
    optional_str,
    parse_http_options,
    retry_after_seconds,
)
from rungway.providers.registry import register_provider
from rungway.settings.config import ProviderConfig
from rungway.wire.eventstream import EventStreamDecoder, EventStreamError

if TYPE_CHECKING:
    from rungway.providers.bedrock_aws import Signer

INSTALL_HINT = "pip install 'rungway[bedrock]'"
_OPTIONS = ("region", "endpoint_url", "profile", "access_key_id", "secret_access_key", "session_token")
_MAX_REQUEST_ID = 100
EMBED_CONCURRENCY = 8


class BedrockProvider:
    """Calls `POST {endpoint}/model/{modelId}/converse` (and `/converse-stream`), signed with SigV4."""

    def __init__(self, name: str, client: UpstreamClient, signer: Signer | None, api_key: str | None) -> None:
        self.name = name
        self.account = client.options.account
        self.client = client
        self.signer = signer
        self._headers = {"Content-Type": "application/json", **client.options.headers}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    async def start(self) -> None:
        await self.client.start()

    async def close(self) -> None:
        await self.client.close()

    def _url(self, model: str, operation: str) -> str:
        return f"{self.client.options.base_url}/model/{quote(model, safe='')}/{operation}"

    async def _signed(self, url: str, body: bytes, call_headers: Mapping[str, str], accept: str) -> dict[str, str]:
        headers = {**self._headers, "Accept": accept}
        traceparent = call_headers.get("traceparent")
        if traceparent is not None:
            headers["traceparent"] = traceparent
        if self.signer is None:
            return headers
        if self.signer.must_refresh():
            await asyncio.to_thread(self.signer.refresh)
        return self.signer.headers(url, body, headers)

    def _failure(self, provider: str, status: int, raw: bytes, headers: Mapping[str, str]) -> RungwayError:
        try:
            data: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        message = error_message(data, raw)
        return error_for(provider, status, error_type_of(headers, data), message, retry_after_seconds(headers))

    def _completion_id(self, headers: Mapping[str, str]) -> str:
        request_id = headers.get("x-amzn-RequestId") or ""
        if request_id and len(request_id) <= _MAX_REQUEST_ID and request_id.isprintable():
            return f"chatcmpl-{request_id}"
        return f"chatcmpl-{uuid.uuid4().hex}"

    async def chat(self, call: ChatCall) -> ChatResult:
        request = to_converse_request(call.body)
        url = self._url(request.model, "converse")
        body = orjson.dumps(request.body)
        headers = await self._signed(url, body, call.headers, "application/json")
        status, raw, answer_headers = await self.client.post(url, body, headers, call.timeout_s)
        if status != 200:
            raise self._failure(self.name, status, raw, answer_headers)
        answer = load_json(self.name, raw)
        data, usage = to_chat_completion(
            self.name, answer, request.schema_tool, int(time.time()), request.model, self._completion_id(answer_headers)
        )
        return ChatResult(orjson.dumps(data), data, usage)

    async def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        request = to_converse_request(call.body)
        url = self._url(request.model, "converse-stream")
        body = orjson.dumps(request.body)
        headers = await self._signed(url, body, call.headers, "application/vnd.amazon.eventstream")
        response = await self.client.open_stream(url, body, headers, call.timeout_s, self._failure)
        translator = StreamTranslator(
            self.name, request.schema_tool, int(time.time()), request.model, self._completion_id(response.headers)
        )
        decoder = EventStreamDecoder(self.client.options.max_sse_event_bytes)
        async with self.client.raw_pieces(response) as pieces:
            async for piece in pieces:
                for chunk in self._translate(decoder, translator, piece):
                    yield chunk
                if translator.finished:
                    break
        if not translator.finished:
            raise UpstreamError(f"{self.name}: the stream ended before Bedrock's metadata event (usage)")

    def _translate(self, decoder: EventStreamDecoder, translator: StreamTranslator, piece: bytes) -> list[StreamChunk]:
        chunks: list[StreamChunk] = []
        try:
            for message in decoder.feed(piece):
                if message.message_type != "event":
                    status = STREAM_ERROR_STATUS.get(message.event_type, 502)
                    data = load_json(self.name, message.payload) if message.payload else None
                    text = error_message(data, message.payload)
                    raise error_for(self.name, status, message.event_type, text)
                event = load_json(self.name, message.payload)
                for chunk in translator.translate(message.event_type, event):
                    chunks.append(StreamChunk(chunk, None, None if chunk["choices"] else translator.usage))
                if translator.finished:
                    break
        except EventStreamError as exc:
            raise malformed(self.name, f"a broken event stream ({exc})") from None
        return chunks

    async def embed(self, call: EmbedCall) -> EmbedResult:
        """Titan embeddings through InvokeModel: one signed request per input, at most
        `EMBED_CONCURRENCY` at a time, the first failure cancelling the rest."""
        requests = titan_requests(call.body)
        model = str(call.body["model"])
        url = self._url(model, "invoke")
        gate = asyncio.Semaphore(EMBED_CONCURRENCY)

        async def one(request: dict[str, Any]) -> Any:
            async with gate:
                body = orjson.dumps(request)
                headers = await self._signed(url, body, call.headers, "application/json")
                status, raw, answer_headers = await self.client.post(url, body, headers, call.timeout_s)
            if status != 200:
                raise self._failure(self.name, status, raw, answer_headers)
            return load_json(self.name, raw)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(request)) for request in requests]
        except* RungwayError as failures:
            raise failures.exceptions[0] from None
        data, usage = to_embeddings(self.name, [t.result() for t in tasks], model, call.body.get("encoding_format"))
        return EmbedResult(orjson.dumps(data), data, usage)


@register_provider("bedrock")
def create_bedrock(config: ProviderConfig) -> BedrockProvider:
    try:
        bedrock_aws = importlib.import_module("rungway.providers.bedrock_aws")
    except ImportError:
        raise config.error(
            "type", "the bedrock provider needs botocore, which is not installed", f"run `{INSTALL_HINT}`"
        ) from None
    profile = optional_str(config, "profile")
    region = optional_str(config, "region") or bedrock_aws.default_region(profile)
    if region is None:
        raise config.error(
            "region", "no AWS region is set", "write e.g. `region: us-east-1`, or set AWS_REGION in the environment"
        )
    endpoint = optional_str(config, "endpoint_url") or f"https://bedrock-runtime.{region}.amazonaws.com"
    if config.options.get("base_url") is not None:
        raise config.error("base_url", "the bedrock provider names its endpoint `endpoint_url`", "rename the key")
    options = parse_http_options(_with_base_url(config, endpoint), None, _OPTIONS)
    signer = None
    if options.api_key is None:
        credentials = _credentials(config, bedrock_aws, profile)
        signer = bedrock_aws.Signer(credentials, region)
    return BedrockProvider(config.name, UpstreamClient(config.name, options), signer, options.api_key)


def _with_base_url(config: ProviderConfig, endpoint: str) -> ProviderConfig:
    options = {**config.options, "base_url": endpoint}
    options.pop("endpoint_url", None)
    return ProviderConfig(config.name, config.type, options, config.key_path, config.where)


def _credentials(config: ProviderConfig, bedrock_aws: Any, profile: str | None) -> Any:
    key_id, secret = optional_str(config, "access_key_id"), optional_str(config, "secret_access_key")
    if bool(key_id) != bool(secret):
        missing = "secret_access_key" if key_id else "access_key_id"
        raise config.error(missing, "access_key_id and secret_access_key go together", f"set `{missing}` as well")
    try:
        credentials = bedrock_aws.resolve_credentials(profile, key_id, secret, optional_str(config, "session_token"))
    except Exception as exc:  # noqa: BLE001 - botocore raises many kinds (unknown profile, bad files): all config
        raise config.error("profile", f"AWS credentials could not be loaded: {exc}", "fix the AWS profile") from None
    if credentials is None:
        raise ConfigError(
            f"{config.where}: {config.key_path}: no AWS credentials found. Fix: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or `profile:` naming a profile in ~/.aws, or `api_key:` with a Bedrock API key"
        )
    return credentials
