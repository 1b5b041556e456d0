"""Push, pull and import: prompt files and imported prompts against the registry, through one small interface.

`PromptRegistry` is what the commands need of the registry (read a version, list a workload's
prompts, create a version, move a label, know the protected labels); the CLI implements it over the
management API. Keeping the plan here, apart from the transport, keeps its rules in one place:
- a push creates a version only for a file whose content differs from the prompt's newest version
  (the server dedupes by content hash as well, so a repeated push creates nothing), and never moves
  a label;
- a pull leaves a file alone when it already holds the version's content (however it is written),
  rewrites a file that differs in its own format (keeping its scope key and description), and
  writes a prompt no file holds to `<name>.yaml`;
- an import moves the labels it carries only when they are not protected; a protected label is
  reported as a request for review, never moved by the import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

from rungway.errors import AuthenticationFailed, Conflict, InvalidRequest, NotFound, PermissionDenied
from rungway.prompts.files import PromptFile, PromptFileError, read_prompt_dir, write_prompt_file
from rungway.prompts.imports import ImportedPrompt
from rungway.prompts.template import PromptContent

__all__ = [
    "ImportResult",
    "PromptRegistry",
    "PullResult",
    "PushItem",
    "RemoteVersion",
    "import_prompts",
    "plan_push",
    "pull",
    "push",
    "scope_of_file",
]


@dataclass(frozen=True, slots=True)
class RemoteVersion:
    """A version as the registry returns it: enough to compare with a file and to write one."""

    name: str
    workload: str | None  # None: shared
    version: int
    content_hash: str
    content: PromptContent
    labels: tuple[str, ...] = ()


class PromptRegistry(Protocol):
    """What push, pull and import need of the registry."""

    def get(self, name: str, workload: str | None, *, label: str | None = None) -> RemoteVersion | None:
        """The version `label` points at (None: the newest), or None when the prompt or label does not exist."""
        ...

    def prompts(self, workload: str | None, *, shared: bool) -> list[tuple[str, str | None]]:
        """(name, workload) of the shared prompts, or of the workload's own (the key's own when None)."""
        ...

    def create(self, prompt: PromptFile, workload: str | None, message: str, *, shared: bool) -> tuple[int, bool]:
        """Create a version (or find the one with this content): (version, created)."""
        ...

    def move_label(self, name: str, workload: str | None, label: str, version: int, reason: str) -> None: ...

    def protected_labels(self, workload: str | None) -> frozenset[str]: ...


_REFUSALS = (InvalidRequest, AuthenticationFailed, PermissionDenied, NotFound, Conflict)


def _about(
    exc: InvalidRequest | AuthenticationFailed | PermissionDenied | NotFound | Conflict, where: str
) -> Exception:
    """The same refusal, its message starting with the file or source it concerns."""
    return type(exc)(f"{where}: {exc.message}", code=exc.code, param=exc.param)


def scope_of_file(prompt: PromptFile, default_workload: str | None) -> tuple[str | None, bool]:
    """(workload, shared) a file is pushed to: its own key, else the command's `--workload`."""
    if prompt.shared:
        if default_workload is not None:
            raise PromptFileError(
                prompt.path, f"the file says `shared: true` but --workload {default_workload} was given",
                "drop --workload, or remove `shared: true` from the file", 1,
            )  # fmt: skip
        return None, True
    if prompt.workload is not None and default_workload is not None and prompt.workload != default_workload:
        raise PromptFileError(
            prompt.path, f"the file says `workload: {prompt.workload}` but --workload {default_workload} was given",
            "push each workload's folder with its own --workload, or fix the file's `workload:`", 1,
        )  # fmt: skip
    return prompt.workload or default_workload, False


@dataclass(frozen=True, slots=True)
class PushItem:
    """One file in a push: whether its content is new, changed or already the newest version."""

    prompt: PromptFile
    workload: str | None
    shared: bool
    status: Literal["new", "changed", "unchanged"]
    registry_version: int | None  # the newest version before the push
    version: int | None = None  # the version the push created or found
    created: bool = False


def plan_push(files: Sequence[PromptFile], registry: PromptRegistry, workload: str | None) -> list[PushItem]:
    """Compare each file with its prompt's newest version (reads only)."""
    items = []
    for prompt in files:
        scope, shared = scope_of_file(prompt, workload)
        newest = registry.get(prompt.name, None if shared else scope)
        if newest is not None and (newest.workload is None) != shared:
            newest = None  # the other scope's prompt of that name is not this file's: creating it is refused (409)
        if newest is None:
            items.append(PushItem(prompt, scope, shared, "new", None))
        elif newest.content_hash == prompt.content.content_hash():
            items.append(PushItem(prompt, scope, shared, "unchanged", newest.version, newest.version))
        else:
            items.append(PushItem(prompt, scope, shared, "changed", newest.version))
    return items


def push(directory: Path, registry: PromptRegistry, workload: str | None, message: str | None) -> list[PushItem]:
    """Create a version for each new or changed file; labels are never moved by a push."""
    items = plan_push(read_prompt_dir(directory), registry, workload)
    done = []
    for item in items:
        if item.status == "unchanged":
            done.append(item)
            continue
        text = message or item.prompt.commit_message or f"rungway prompts push: {Path(item.prompt.path).name}"
        try:
            version, created = registry.create(item.prompt, item.workload, text, shared=item.shared)
        except _REFUSALS as exc:  # the server's refusal, said of the file it concerns
            raise _about(exc, item.prompt.path) from None
        done.append(replace(item, version=version, created=created))
    return done


@dataclass(frozen=True, slots=True)
class PullResult:
    """One prompt a pull wrote (or left alone, or skipped because it has no such label)."""

    name: str
    path: str | None
    version: int | None
    written: bool
    skipped: str = ""  # why nothing was written


def pull(
    directory: Path, registry: PromptRegistry, workload: str | None, label: str | None, *, shared: bool = False
) -> list[PullResult]:
    """Write the version `label` points at (default: the newest) of each of the workload's prompts
    (or of the shared prompts)."""
    if shared and workload is not None:
        raise InvalidRequest("--shared and --workload exclude each other. Fix: pass one of them")
    if directory.exists() and not directory.is_dir():
        raise PromptFileError(str(directory), "not a directory", "pass a folder to write the prompt files into")
    existing = {(p.name, p.shared): p for p in read_prompt_dir(directory)} if directory.is_dir() else {}
    found = registry.prompts(workload, shared=shared)
    scopes = sorted({scope for _, scope in found if scope is not None})
    if len(scopes) > 1:
        raise InvalidRequest(
            f"this key sees the prompts of several workloads ({', '.join(scopes[:5])}). "
            "Fix: pull one workload's prompts into each folder with --workload (or --shared)"
        )
    results = []
    for name, scope in found:
        version = registry.get(name, scope, label=label)
        if version is None:
            results.append(PullResult(name, None, None, False, f"no label {label!r}"))
            continue
        shared = version.workload is None
        before = existing.get((name, shared))
        if before is not None and before.content.content_hash() == version.content_hash:
            results.append(PullResult(name, before.path, version.version, False))  # as the author wrote it
            continue
        if before is not None:
            keep_scope = before.workload if not shared else None  # a file without `workload:` stays without
            prompt = replace(before, content=version.content, workload=keep_scope, shared=shared)
            path = Path(before.path)
        else:
            path = directory / f"{name}.yaml"
            prompt = PromptFile(name, version.workload, version.content, None, str(path), shared)
        written = write_prompt_file(prompt, path)
        results.append(PullResult(name, str(path), version.version, written))
    return results


@dataclass(frozen=True, slots=True)
class ImportResult:
    """One imported prompt version: the version it became, and what happened to the labels it carried."""

    source: str
    name: str
    version: int
    created: bool
    labels_moved: tuple[str, ...]
    labels_for_review: tuple[str, ...]  # protected: a person approves and moves them
    notes: tuple[str, ...]


def import_prompts(
    imported: Sequence[ImportedPrompt], registry: PromptRegistry, workload: str | None, *, shared: bool = False
) -> list[ImportResult]:
    """Create each imported version in order, then move its unprotected labels to it."""
    if shared and workload is not None:
        raise InvalidRequest("--shared and --workload exclude each other. Fix: pass one of them")
    scope = None if shared else workload
    protected = registry.protected_labels(scope)
    results = []
    for item in imported:
        message = item.prompt.commit_message or f"Imported {item.source}"
        try:
            version, created = registry.create(item.prompt, scope, message, shared=shared)
        except _REFUSALS as exc:  # the server's refusal, said of the source it concerns
            raise _about(exc, item.source) from None
        moved, review = [], []
        for label in item.labels:
            if label in protected:
                review.append(label)
                continue
            current = registry.get(item.prompt.name, scope, label=label)
            if current is None or current.version != version:
                registry.move_label(item.prompt.name, scope, label, version, f"imported from {item.source}")
            moved.append(label)
        results.append(
            ImportResult(item.source, item.prompt.name, version, created, tuple(moved), tuple(review), item.notes)
        )
    return results
