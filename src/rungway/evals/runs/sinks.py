"""Where the eval runner's results go: the `ResultSink` interface, and the sink the CLI uses (the server's API).

The runner never holds a run's results: it hands them to a sink in batches as they come. `HttpSink` posts
them to a Rungway server (`POST /api/eval-runs`, `.../results`, `.../finish`); a server-side run (on a new
prompt version) can write to its store through the same interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from rungway.errors import RungwayError
from rungway.evals.runs.model import EvalResult, RunStatus, Trigger
from rungway.evals.scorers.base import JsonValue
from rungway.wire.http1 import H1Pool
from rungway.wire.http1_address import H1Error

__all__ = ["ApiClient", "ApiError", "HttpSink", "ResultSink", "RunStart"]

MAX_API_REPLY_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RunStart:
    """What a run is, as it starts: stored with the run so it can be compared and reproduced."""

    workload: str
    dataset: str
    dataset_version: str
    model: str | None
    parameters: Mapping[str, JsonValue] = field(default_factory=dict)
    prompt: str | None = None
    prompt_version: int | None = None
    repeat: int = 1
    trigger: Trigger = Trigger.CLI
    git_commit: str | None = None
    git_branch: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "dataset": self.dataset,
            "dataset_version": self.dataset_version,
            "model": self.model,
            "parameters": dict(self.parameters),
            "prompt": self.prompt,
            "prompt_version": self.prompt_version,
            "repeat": self.repeat,
            "trigger": self.trigger.value,
            "git_commit": self.git_commit,
            "git_branch": self.git_branch,
        }


class ResultSink(Protocol):
    """Receives a run: its start (returns the run's id), batches of results, and its end (returns the run
    as the store summarised it)."""

    async def start(self, run: RunStart) -> str: ...

    async def write(self, run_id: str, results: Sequence[EvalResult]) -> None: ...

    async def finish(self, run_id: str, status: RunStatus, error: str | None = None) -> dict[str, Any]: ...


class ApiError(RungwayError):
    """The server refused or could not be reached; the message says which and what to do."""

    error_type = "api_error"


class ApiClient:
    """JSON over HTTP to a Rungway server's management API, with one key (the CLI's side)."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.timeout_s = timeout_s
        self.pool = H1Pool(4, 10.0)

    async def close(self) -> None:
        await self.pool.close()

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        payload = b"" if body is None else orjson.dumps(body)
        try:
            response = await self.pool.request(
                method, self.base_url + path, self.headers, payload, self.timeout_s, whole=True
            )
            try:
                raw = await response.read()
            finally:
                response.release()
        except (H1Error, OSError, TimeoutError) as exc:
            raise ApiError(
                f"cannot reach the Rungway server at {self.base_url}: {exc}. Fix: start it (rungway serve) "
                "or pass --server / set RUNGWAY_URL"
            ) from None
        try:
            data = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            data = None
        if response.status >= 400:
            message = ""
            if isinstance(data, dict) and isinstance(data.get("error"), dict):
                message = str(data["error"].get("message") or "")
            raise ApiError(f"{method} {path}: the server answered {response.status}: {message or raw[:200]!r}")
        return data


class HttpSink:
    """Results to a Rungway server's eval-runs API."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def start(self, run: RunStart) -> str:
        data = await self.client.call("POST", "/api/eval-runs", run.to_json())
        return str(data["id"])

    async def write(self, run_id: str, results: Sequence[EvalResult]) -> None:
        await self.client.call("POST", f"/api/eval-runs/{run_id}/results", {"results": [r.to_json() for r in results]})

    async def finish(self, run_id: str, status: RunStatus, error: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"status": status.value}
        if error:
            body["error"] = error[:2000]
        data = await self.client.call("POST", f"/api/eval-runs/{run_id}/finish", body)
        return data if isinstance(data, dict) else {}
