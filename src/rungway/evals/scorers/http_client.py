"""`ModelClient` over HTTP: a Rungway gateway's OpenAI-compatible `/v1`, with the workload's key.

Judge and embedding calls made this way are recorded, traced, priced and budgeted by the gateway like
the application's own. One aiohttp session per client; every answer is bounded in size and time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from rungway.evals.scorers.models import ChatReply, ChatRequest, ModelCallError

__all__ = ["MAX_REPLY_BYTES", "HttpModelClient"]

MAX_REPLY_BYTES = 16 * 1024 * 1024  # an embeddings batch of a few hundred vectors fits


class HttpModelClient:
    """Chat and embeddings against `base_url` (the gateway's root, e.g. http://127.0.0.1:8080)."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"authorization": f"Bearer {api_key}", "content-type": "application/json"}
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(self, path: str, body: dict[str, Any]) -> tuple[Any, str | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.post(self.base_url + path, data=orjson.dumps(body), headers=self.headers) as resp:
                data = bytearray()
                async for chunk in resp.content.iter_chunked(65536):
                    data += chunk
                    if len(data) > MAX_REPLY_BYTES:
                        raise ModelCallError(f"{path}: reply over {MAX_REPLY_BYTES} bytes")
                request_id = resp.headers.get("x-request-id")
                if resp.status >= 400:
                    raise ModelCallError(
                        f"{path}: gateway answered {resp.status}: {bytes(data[:300]).decode(errors='replace')}"
                    )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ModelCallError(f"{path}: {type(exc).__name__}: {exc}") from None
        try:
            return orjson.loads(bytes(data)), request_id
        except orjson.JSONDecodeError:
            raise ModelCallError(f"{path}: the gateway's reply is not JSON") from None

    async def chat(self, request: ChatRequest) -> ChatReply:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": role, "content": content} for role, content in request.messages],
            "seed": request.seed,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.json_schema is not None:
            schema = {"name": "judgement", "schema": request.json_schema, "strict": True}
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
        data, request_id = await self._post("/v1/chat/completions", body)
        try:
            text = data["choices"][0]["message"]["content"] or ""
            return ChatReply(str(text), str(data.get("model", request.model)), request_id)
        except (KeyError, IndexError, TypeError):
            raise ModelCallError("/v1/chat/completions: no message in the reply") from None

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        data, _ = await self._post("/v1/embeddings", {"model": model, "input": list(texts)})
        try:
            rows = sorted(data["data"], key=lambda row: row["index"])
            vectors = [[float(v) for v in row["embedding"]] for row in rows]
        except (KeyError, TypeError, ValueError):
            raise ModelCallError("/v1/embeddings: no embeddings in the reply") from None
        if len(vectors) != len(texts):
            raise ModelCallError(f"/v1/embeddings: {len(vectors)} vectors for {len(texts)} inputs")
        return vectors
