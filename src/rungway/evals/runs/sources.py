"""What `rungway eval run` reads from the server before and while it runs: the dataset version's cases, page by
page (`GET /api/datasets/...`), and the prompt version a reference names (`GET /api/prompts/{name}`).

The dataset is read a page at a time as the runner asks for more, so a 10,000-case dataset is never held
whole; the prompt is resolved once, to a version number, so every case of the run uses the same version.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from rungway.errors import InvalidRequest
from rungway.evals.runs.runner import EvalCase, PromptChoice
from rungway.evals.runs.sinks import ApiClient
from rungway.evals.scorers.base import JsonValue

__all__ = ["ApiCaseSource", "PromptRef", "ResolvedPrompt", "open_dataset", "parse_dataset_ref", "resolve_prompt"]

NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
PAGE_SIZE = 500


def parse_dataset_ref(raw: str) -> tuple[str, str | None]:
    """`name` or `name@version`."""
    match = re.fullmatch(rf"({NAME})(?:@([0-9]{{1,9}}|latest))?", raw)
    if match is None:
        raise InvalidRequest(f"--dataset {raw!r}: expected NAME or NAME@VERSION, e.g. support-faq@3", param="dataset")
    version = match.group(2)
    return match.group(1), None if version in (None, "latest") else version


@dataclass(frozen=True, slots=True)
class PromptRef:
    name: str
    version: int | None = None
    label: str | None = None

    @classmethod
    def parse(cls, raw: str) -> PromptRef:
        """`NAME@VERSION`, `NAME:LABEL` or `NAME` (its production label, as the gateway reads a reference)."""
        match = re.fullmatch(rf"({NAME})(?:@([0-9]{{1,9}})|:([a-z0-9][a-z0-9._-]{{0,63}}))?", raw)
        if match is None:
            raise InvalidRequest(
                f"--prompt {raw!r}: expected NAME@VERSION or NAME:LABEL, e.g. reply@3 or reply:production",
                param="prompt",
            )
        version = match.group(2)
        return cls(match.group(1), int(version) if version else None, match.group(3))


@dataclass(frozen=True, slots=True)
class ResolvedPrompt:
    choice: PromptChoice
    model: str | None


async def resolve_prompt(client: ApiClient, workload: str, ref: PromptRef) -> ResolvedPrompt:
    query: dict[str, str] = {"workload": workload}
    if ref.version is not None:
        query["version"] = str(ref.version)
    else:
        query["label"] = ref.label or "production"
    data = await client.call("GET", f"/api/prompts/{quote(ref.name, safe='')}?{urlencode(query)}")
    content = data.get("content") or {}
    return ResolvedPrompt(PromptChoice(ref.name, int(data["version"])), content.get("model"))


def _case(raw: Mapping[str, Any]) -> EvalCase:
    return EvalCase(
        key=str(raw["key"]),
        vars=raw.get("vars") or {},
        messages=raw.get("messages") or (),
        expected=raw.get("expected"),
        assertions=raw.get("assert") or raw.get("assertions") or (),
        metadata=raw.get("metadata") or {},
    )


class ApiCaseSource:
    """A dataset version's cases from the server's datasets API, `PAGE_SIZE` at a time."""

    def __init__(
        self,
        client: ApiClient,
        workload: str,
        dataset: str,
        version: str,
        default_assertions: Sequence[Mapping[str, JsonValue]],
        case_count: int,
    ) -> None:
        self.client = client
        self.workload = workload
        self.dataset = dataset
        self.version = version
        self.default_assertions = default_assertions
        self.case_count = case_count

    def _path(self, query: Mapping[str, str]) -> str:
        return f"/api/datasets/{quote(self.dataset, safe='')}/versions/{self.version}?{urlencode(query)}"

    async def pages(self) -> AsyncIterator[Sequence[EvalCase]]:
        offset = 0
        while True:
            query = {"workload": self.workload, "offset": str(offset), "limit": str(PAGE_SIZE)}
            data = await self.client.call("GET", self._path(query))
            cases = [_case(c) for c in data.get("cases") or ()]
            if cases:
                yield cases
            offset += len(cases)
            if len(cases) < PAGE_SIZE:
                return


async def open_dataset(client: ApiClient, workload: str, name: str, version: str | None) -> ApiCaseSource:
    """The named version (default: the newest) as a case source: its number, default assertions and size."""
    path = f"/api/datasets/{quote(name, safe='')}/versions/{version or 'latest'}?limit=1&workload={quote(workload)}"
    data = await client.call("GET", path)
    return ApiCaseSource(
        client,
        workload,
        name,
        str(data["version"]),
        data.get("default_assertions") or (),
        int(data.get("case_count") or 0),
    )
