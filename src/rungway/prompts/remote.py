"""The registry push, pull and import work against, over the management API (`/api/prompts`).

It implements `sync.PromptRegistry` with the CLI's `ApiClient`, so every version a push or an
import creates and every label it moves meets the server's rules (roles, workload scope, review
policy) and is recorded under the caller's key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rungway.cli.api_client import ApiClient
from rungway.errors import NotFound
from rungway.prompts.files import PromptFile
from rungway.prompts.sync import RemoteVersion
from rungway.prompts.template import PromptContent

__all__ = ["ApiRegistry"]


def _path(name: str, *rest: str) -> str:
    return "/api/prompts/" + "/".join(quote(part, safe="") for part in (name, *rest))


class ApiRegistry:
    """`PromptRegistry` over HTTP: reads resolve the way the API does (own prompt, else shared)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def get(self, name: str, workload: str | None, *, label: str | None = None) -> RemoteVersion | None:
        try:
            answer = self.client.get(_path(name), {"workload": workload, "label": label})
        except NotFound:
            return None
        return _version(answer)

    def prompts(self, workload: str | None, *, shared: bool) -> list[tuple[str, str | None]]:
        answer = self.client.get("/api/prompts", {"workload": workload, "shared": "true" if shared else "false"})
        found = [(str(p["name"]), p.get("workload")) for p in answer["data"]]
        if shared:
            return [(name, None) for name, scope in found if scope is None]
        return [(name, scope) for name, scope in found if scope is not None]

    def create(self, prompt: PromptFile, workload: str | None, message: str, *, shared: bool) -> tuple[int, bool]:
        body: dict[str, Any] = {"name": prompt.name, **prompt.content.to_json(), "message": message}
        if shared:
            body["shared"] = True
        elif workload is not None:
            body["workload"] = workload
        answer = self.client.post("/api/prompts", body)
        return int(answer["version"]), bool(answer["created"])

    def move_label(self, name: str, workload: str | None, label: str, version: int, reason: str) -> None:
        self.client.post(_path(name, "labels", label), {"version": version, "reason": reason}, {"workload": workload})

    def protected_labels(self, workload: str | None) -> frozenset[str]:
        answer = self.client.get("/api/prompts-policy", {"workload": workload})
        return frozenset(str(label) for label in answer["protected_labels"])


def _version(answer: Any) -> RemoteVersion:
    content = PromptContent.from_json(answer["content"], where="the server's answer")
    return RemoteVersion(
        name=str(answer["name"]),
        workload=answer.get("workload"),
        version=int(answer["version"]),
        content_hash=str(answer["hash"]),
        content=content,
        labels=tuple(answer.get("labels") or ()),
    )
