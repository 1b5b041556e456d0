"""A loopback upstream that speaks AWS Bedrock Runtime's Converse and ConverseStream.

It checks each request's SigV4 `Authorization` header (its shape, and the signature itself,
recomputed with botocore from the fake's own copy of the keys) and `X-Amz-Date`, answers with text,
or with a `toolUse` block when tools are offered (input built from the tool's schema), honours
`stopSequences` and a small `maxTokens`, and reports usage with cache fields. ConverseStream
answers in the binary `application/vnd.amazon.eventstream` framing (`encode_message` below, CRCs
included), written in small pieces. The model id picks failures: `error-429` (ThrottlingException,
Retry-After 3), `error-400` (ValidationException), `error-503` (ServiceUnavailableException),
`not-ready` (ModelNotReadyException, a 429 upstream), `stream-throttled` (a throttlingException
message mid-stream), `truncated` (no metadata event), `bad-crc`, `hostile` (fields of the wrong
types), `huge-event` (one 2 MB message), `slow` (3 s). InvokeModel answers as Titan Text Embeddings
(model ids ending `throttled` and `hostile` fail). Requests are kept in `seen`.
"""

from __future__ import annotations

import asyncio
import binascii
import re
import struct
from typing import Any

import orjson
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.providers.fake_anthropic import value_for
from tests.providers.fake_openai import Seen
from tests.servers import AppServer

KEY_ID, SECRET, REGION = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1"
USAGE = {"inputTokens": 10, "outputTokens": 7, "totalTokens": 25, "cacheReadInputTokens": 5, "cacheWriteInputTokens": 3}
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/bedrock/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)
AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")


def encode_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def encode_message(headers: dict[str, str], payload: bytes, *, corrupt: bool = False) -> bytes:
    """One event-stream message: prelude (lengths + CRC), headers, payload, message CRC."""
    head = b"".join(encode_header(k, v) for k, v in headers.items())
    prelude = struct.pack(">II", 16 + len(head) + len(payload), len(head))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    body = prelude + head + payload
    crc = binascii.crc32(body) ^ (1 if corrupt else 0)
    return body + struct.pack(">I", crc)


def event(kind: str, payload: Any, **flags: bool) -> bytes:
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, orjson.dumps(payload), **flags)


def exception(kind: str, message: str) -> bytes:
    headers = {":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"}
    return encode_message(headers, orjson.dumps({"message": message}))


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    head = {"x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/", **(headers or {})}
    return web.Response(
        status=status, body=orjson.dumps({"message": message}), content_type="application/json", headers=head
    )


ERRORS = {
    "error-429": lambda: _error(429, "ThrottlingException", "Too many requests, please wait.", {"Retry-After": "3"}),
    "error-400": lambda: _error(400, "ValidationException", "The provided model identifier is invalid."),
    "error-503": lambda: _error(503, "ServiceUnavailableException", "Service unavailable."),
    "not-ready": lambda: _error(429, "ModelNotReadyException", "The model is not ready to serve inference."),
}


def answer(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The Converse answer for this request."""
    tool_config = body.get("toolConfig") or {}
    tools = [t["toolSpec"] for t in tool_config.get("tools") or []]
    choice = tool_config.get("toolChoice") or {"auto": {}}
    limit = (body.get("inferenceConfig") or {}).get("maxTokens", 1000)
    content: list[dict[str, Any]] = []
    stop_reason = "end_turn"
    if tools:
        wanted = (choice.get("tool") or {}).get("name")
        tool = next((t for t in tools if t["name"] == wanted), tools[0])
        if "tool" not in choice:
            content.append({"text": "Let me check."})
        use = {"toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "name": tool["name"]}
        content.append({"toolUse": {**use, "input": value_for(tool["inputSchema"]["json"])}})
        stop_reason = "tool_use"
    elif (body.get("inferenceConfig") or {}).get("stopSequences"):
        content.append({"text": "Hello from"})
        stop_reason = "stop_sequence"
    elif limit < 5:
        content.append({"text": "Hello"})
        stop_reason = "max_tokens"
    else:
        content.append({"text": "Hello from fake Bedrock."})
    if model == "hostile":
        content = [{"text": 42}]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": USAGE,
        "metrics": {"latencyMs": 123},
    }


def stream_messages(model: str, reply: dict[str, Any]) -> list[bytes]:
    """The event-stream messages ConverseStream sends for `reply`."""
    out = [event("messageStart", {"role": "assistant"})]
    for index, block in enumerate(reply["output"]["message"]["content"]):
        if "text" in block:
            for i, word in enumerate(str(block["text"]).split(" ")):
                out.append(
                    event(
                        "contentBlockDelta",
                        {"contentBlockIndex": index, "delta": {"text": word if i == 0 else " " + word}},
                    )
                )
        else:
            use = block["toolUse"]
            start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
            out.append(event("contentBlockStart", {"contentBlockIndex": index, "start": start}))
            text = orjson.dumps(use["input"]).decode()
            for piece in (text[:5], text[5:11], text[11:]):
                out.append(
                    event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}})
                )
        out.append(event("contentBlockStop", {"contentBlockIndex": index}))
    out.append(event("messageStop", {"stopReason": reply["stopReason"]}))
    out.append(event("metadata", {"usage": USAGE, "metrics": {"latencyMs": 123}}))
    if model == "stream-throttled":
        out = [*out[:2], exception("throttlingException", "Too many tokens, please wait.")]
    elif model == "truncated":
        out = out[:-1]
    elif model == "bad-crc":
        out = [out[0], event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "x"}}, corrupt=True)]
    elif model == "hostile":
        out = [out[0], event("contentBlockDelta", {"contentBlockIndex": "zero", "delta": {"text": 1}})]
    elif model == "huge-event":
        out = [out[0], event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "x" * 2_000_000}})]
    return out


class FakeBedrock:
    """The fake Bedrock Runtime; `endpoint_url` is the host root, like https://bedrock-runtime.us-east-1.amazonaws.com."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.signature_problems: list[str] = []
        self.credentials = Credentials(KEY_ID, SECRET)
        app = web.Application()
        app.router.add_post("/model/{model}/converse", self.converse)
        app.router.add_post("/model/{model}/converse-stream", self.converse)
        app.router.add_post("/model/{model}/invoke", self.invoke)
        self.server = AppServer(app)
        self.endpoint_url = self.server.base_url

    def stop(self) -> None:
        self.server.stop()

    def check_signature(self, request: web.Request, raw: bytes) -> str | None:
        """What is wrong with the request's SigV4 signature (None when it verifies)."""
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return None if request.headers["Authorization"] == "Bearer bedrock-api-key" else "wrong API key"
        found = AUTHORIZATION.fullmatch(request.headers.get("Authorization", ""))
        amz_date = request.headers.get("X-Amz-Date", "")
        if found is None or not AMZ_DATE.fullmatch(amz_date):
            return "no AWS4-HMAC-SHA256 Authorization header or no X-Amz-Date"
        if found["key"] != KEY_ID or found["region"] != REGION or found["date"] != amz_date[:8]:
            return "wrong credential scope"
        signed = found["signed"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return "host and x-amz-date must be signed"
        url = f"http://{request.host}{request.raw_path}"
        copy = AWSRequest(method="POST", url=url, data=raw, headers={h: request.headers[h] for h in signed})
        copy.context["timestamp"] = amz_date
        auth = SigV4Auth(self.credentials, "bedrock", REGION)
        expected = auth.signature(auth.string_to_sign(copy, auth.canonical_request(copy)), copy)
        return None if expected == found["signature"] else "signature mismatch"

    async def invoke(self, request: web.Request) -> web.Response:
        """InvokeModel for Titan Text Embeddings: a vector of `dimensions` (8) numbers from the text."""
        raw = await request.read()
        body = orjson.loads(raw)
        model = request.match_info["model"]
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers), {"modelId": model, **body}))
        problem = self.check_signature(request, raw)
        if problem is not None:
            self.signature_problems.append(problem)
            return _error(403, "UnrecognizedClientException", f"The security token is invalid ({problem}).")
        if model.endswith("throttled"):
            return ERRORS["error-429"]()
        text = body["inputText"]
        vector: list[Any] = [round((len(text) + i) / 100, 2) for i in range(body.get("dimensions", 8))]
        if model.endswith("hostile"):
            vector = [1e300]
        answer = {"embedding": vector, "inputTextTokenCount": len(text.split())}
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def converse(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = orjson.loads(raw)
        model = request.match_info["model"]
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers), {"modelId": model, **body}))
        problem = self.check_signature(request, raw)
        if problem is not None:
            self.signature_problems.append(problem)
            return _error(403, "UnrecognizedClientException", f"The security token is invalid ({problem}).")
        if model in ERRORS:
            return ERRORS[model]()
        if model == "slow":
            await asyncio.sleep(3)
        reply = answer(model, body)
        headers = {"x-amzn-RequestId": "3f1c9a1e-7d2b-4c55-9b7e-2a0f6c1d8e4b"}
        if not request.path.endswith("/converse-stream"):
            return web.Response(body=orjson.dumps(reply), content_type="application/json", headers=headers)
        response = web.StreamResponse(headers={**headers, "Content-Type": "application/vnd.amazon.eventstream"})
        await response.prepare(request)
        wire = b"".join(stream_messages(model, reply))
        step = 65536 if model == "huge-event" else 13
        for start in range(0, len(wire), step):
            await response.write(wire[start : start + step])
        await response.write_eof()
        return response
