"""A dataset's cases and versions as typed values, and the one place a raw case is checked.

Every source (a JSONL, CSV, YAML or promptfoo file, an API body, a production trace) hands `build_case`
a mapping and a `where` (file and line, or `cases[3]`); it checks every field against its bound and every
assertion with the scorer registry's `scorer_from_spec`, and raises `InvalidRequest` naming `where`, the
field and the fix. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from rungway.errors import InvalidRequest
from rungway.evals.scorers import ChatReply, ChatRequest, JsonValue, ModelCallError, ScorerContext, scorer_from_spec

__all__ = [
    "CASE_FIELDS",
    "MAX_ASSERTIONS",
    "MAX_CASES",
    "MAX_KEY_CHARS",
    "NAME_PATTERN",
    "SHARED",
    "Case",
    "CaseCheck",
    "DatasetSummary",
    "DatasetVersion",
    "build_case",
    "check_assertions",
    "check_name",
    "check_unique_keys",
    "content_hash",
    "derived_key",
    "scope_of",
    "workload_of",
]

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
SHARED = ""
"""The store's scope for a shared dataset (not NULL: a UNIQUE over NULL does not stop duplicates in PostgreSQL)."""
MAX_CASES = 50_000
MAX_KEY_CHARS = 200
MAX_VARS = 200
MAX_VAR_NAME_CHARS = 128
MAX_VALUE_BYTES = 1_000_000  # one case's vars, or its messages, as JSON
MAX_MESSAGES = 1_000
MAX_EXPECTED_CHARS = 100_000
MAX_ASSERTIONS = 100
MAX_TAGS = 50
MAX_TAG_CHARS = 64
MAX_METADATA = 50
MAX_METADATA_VALUE_CHARS = 4_000
TRACE_ID = re.compile(r"[0-9a-f]{32}")
CASE_FIELDS = ("key", "vars", "messages", "expected", "assert", "assertions", "metadata", "tags",
               "source_trace_id", "description")  # fmt: skip
_KEY = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,200}")
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def check_name(name: str) -> None:
    if NAME_PATTERN.fullmatch(name) is None:
        raise InvalidRequest(
            f"dataset name {name[:80]!r} is not valid: start with a letter or digit, then letters, digits, "
            "'.', '_' or '-', at most 128 characters",
            param="name",
        )


def scope_of(workload: str | None) -> str:
    return workload or SHARED


def workload_of(scope: str) -> str | None:
    return scope or None


@dataclass(frozen=True, slots=True)
class Case:
    """One eval case: its inputs (`vars` for a prompt, and/or whole chat `messages`), what it expects, how it
    is judged (`assertions`, specs as written, checked when built), and where it came from."""

    key: str
    vars: Mapping[str, JsonValue] = field(default_factory=dict)
    messages: tuple[Mapping[str, JsonValue], ...] | None = None
    expected: str | None = None
    assertions: tuple[Mapping[str, JsonValue], ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    source_trace_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The case as JSONL export writes it and the API shows it (null and empty fields left out)."""
        out: dict[str, Any] = {"key": self.key, "vars": dict(self.vars)}
        if self.messages is not None:
            out["messages"] = [dict(m) for m in self.messages]
        if self.expected is not None:
            out["expected"] = self.expected
        if self.assertions:
            out["assert"] = [dict(a) for a in self.assertions]
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        if self.tags:
            out["tags"] = list(self.tags)
        if self.source_trace_id:
            out["source_trace_id"] = self.source_trace_id
        return out


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One immutable version of a dataset: its number, content hash and what it holds (cases are read apart)."""

    id: str
    name: str
    workload: str | None
    version: int
    content_hash: str
    case_count: int
    default_assertions: tuple[Mapping[str, JsonValue], ...]
    description: str
    source: str
    author: str
    created_at: float

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """A dataset as lists show it: its name, scope and newest version."""

    name: str
    workload: str | None
    latest_version: int
    case_count: int
    updated_at: float


def content_hash(cases: Sequence[Case], default_assertions: Sequence[Mapping[str, JsonValue]]) -> str:
    """The version's identity: SHA-256 over its cases in order and its default assertions, as canonical JSON."""
    whole = {"cases": [c.to_json() for c in cases], "default_assertions": [dict(a) for a in default_assertions]}
    return hashlib.sha256(orjson.dumps(whole, option=orjson.OPT_SORT_KEYS)).hexdigest()


class _CheckOnly:
    """The model client handed to scorer factories when a spec is only being checked: never called."""

    async def chat(self, request: ChatRequest) -> ChatReply:
        raise ModelCallError("assertions are only checked at import; the eval runner calls models")

    async def embed(self, model: str, texts: Sequence[str]) -> list[list[float]]:
        raise ModelCallError("assertions are only checked at import; the eval runner calls models")


_CHECK_CONTEXT = ScorerContext(models=_CheckOnly(), judge_model="runner-default", embedding_model="runner-default")
_TRUSTED_CONTEXT = dataclasses.replace(_CHECK_CONTEXT, allow_python=True)


def check_assertions(raw: object, where: str, *, allow_python: bool = False) -> tuple[Mapping[str, JsonValue], ...]:
    """Assertion specs checked with the scorer registry (model-graded ones too: their model comes at run time).

    `allow_python`: the specs are the team's own (a file read by the CLI), so `python` assertions may import the
    function they name; a spec sent to the server never may."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidRequest(f"{where}: assert: expected a list of assertions. Fix: write assert: [{{type: contains, "
                             "value: x}]", param="assert")  # fmt: skip
    if len(raw) > MAX_ASSERTIONS:
        raise InvalidRequest(f"{where}: assert: {len(raw)} assertions, at most {MAX_ASSERTIONS}", param="assert")
    for index, spec in enumerate(raw):
        context = _TRUSTED_CONTEXT if allow_python else _CHECK_CONTEXT
        scorer_from_spec(spec, where=f"{where} assert[{index}]", context=context)
    return tuple(raw)


@dataclass(frozen=True, slots=True)
class CaseCheck:
    """Where a raw case came from, for errors: `cases.jsonl:12` or `cases[3]`."""

    where: str

    def fail(self, key: str, problem: str, fix: str) -> InvalidRequest:
        return InvalidRequest(f"{self.where}: {key}: {problem}. Fix: {fix}", param=key)

    def json_size(self, key: str, value: object) -> None:
        try:
            size = len(orjson.dumps(value))
        except (TypeError, orjson.JSONEncodeError):
            problem = "holds a value JSON cannot write"
            raise self.fail(key, problem, "use strings, numbers, lists and mappings") from None
        if size > MAX_VALUE_BYTES:
            raise self.fail(key, f"is {size:,} bytes as JSON, over {MAX_VALUE_BYTES:,}", "shorten it")

    def vars(self, raw: object) -> dict[str, JsonValue]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise self.fail("vars", f"expected a mapping of variable names to values, got {type(raw).__name__}",
                            "write vars: {question: ...}")  # fmt: skip
        if len(raw) > MAX_VARS:
            raise self.fail("vars", f"{len(raw)} variables, at most {MAX_VARS}", "split the case")
        for name in raw:
            if not isinstance(name, str) or not 0 < len(name) <= MAX_VAR_NAME_CHARS or "\x00" in name:
                raise self.fail("vars", f"variable name {str(name)[:40]!r} is not a name of 1 to 128 characters",
                                "rename it")  # fmt: skip
            value = raw[name]
            if isinstance(value, float) and not math.isfinite(value):
                raise self.fail(f"vars.{name}", "is not a finite number", "write a number or a string")
        self.json_size("vars", raw)
        return dict(raw)

    def messages(self, raw: object) -> tuple[Mapping[str, JsonValue], ...] | None:
        if raw is None:
            return None
        if not isinstance(raw, list) or not raw:
            raise self.fail("messages", "expected a non-empty list of chat messages",
                            "write messages: [{role: user, content: ...}]")  # fmt: skip
        if len(raw) > MAX_MESSAGES:
            raise self.fail("messages", f"{len(raw)} messages, at most {MAX_MESSAGES}", "shorten the conversation")
        for index, message in enumerate(raw):
            if not isinstance(message, Mapping) or message.get("role") not in _ROLES:
                raise self.fail(f"messages[{index}]", "each message needs a role (" + ", ".join(_ROLES) + ")",
                                "write {role: user, content: ...}")  # fmt: skip
        self.json_size("messages", raw)
        return tuple(raw)

    def text(self, key: str, raw: object, limit: int) -> str | None:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            if key == "expected" and isinstance(raw, Mapping | list):
                raw = orjson.dumps(raw).decode()  # a JSON reference, compared as JSON by `equals`
            else:
                raise self.fail(key, f"expected text, got {type(raw).__name__}", f"write {key} as a string")
        value = str(raw)
        if len(value) > limit or "\x00" in value:
            raise self.fail(key, f"must be text of at most {limit:,} characters without NUL", "shorten it")
        return value

    def key(self, raw: object) -> str | None:
        if raw is None or raw == "":
            return None
        value = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        if not isinstance(value, str) or _KEY.fullmatch(value) is None:
            raise self.fail("key", f"{str(raw)[:40]!r} is not a key of 1 to {MAX_KEY_CHARS} printable characters",
                            "give a short stable name, e.g. refund-1")  # fmt: skip
        return value

    def metadata(self, raw: object, description: str | None) -> dict[str, str]:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping) or len(raw) > MAX_METADATA:
            raise self.fail("metadata", f"expected a mapping of at most {MAX_METADATA} names to strings",
                            "write metadata: {topic: refunds}")  # fmt: skip
        out: dict[str, str] = {}
        for name, value in raw.items():
            text = self.text(f"metadata.{name}", value, MAX_METADATA_VALUE_CHARS)
            if not isinstance(name, str) or not 0 < len(name) <= MAX_VAR_NAME_CHARS or text is None:
                raise self.fail(f"metadata.{name}", "expected a name of 1 to 128 characters and a string value",
                                "write metadata: {topic: refunds}")  # fmt: skip
            out[name] = text
        if description:
            out.setdefault("description", description)
        return out

    def tags(self, raw: object) -> tuple[str, ...]:
        if raw is None:
            return ()
        items = [t.strip() for t in raw.split(",")] if isinstance(raw, str) else raw
        if not isinstance(items, list) or len(items) > MAX_TAGS:
            raise self.fail("tags", f"expected a list of at most {MAX_TAGS} tags", "write tags: [billing, refund]")
        for tag in items:
            if not isinstance(tag, str) or not 0 < len(tag) <= MAX_TAG_CHARS or _KEY.fullmatch(tag) is None:
                raise self.fail("tags", f"tag {str(tag)[:40]!r} is not 1 to {MAX_TAG_CHARS} printable characters",
                                "shorten or remove it")  # fmt: skip
        return tuple(t for t in items if t)

    def trace_id(self, raw: object) -> str | None:
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str) or TRACE_ID.fullmatch(raw.lower()) is None:
            raise self.fail("source_trace_id", "expected a trace id of 32 hex digits", "copy it from `rungway traces`")
        return raw.lower()


def derived_key(vars_: Mapping[str, JsonValue], messages: object, expected: str | None) -> str:
    """A key from the case's content, for cases that give none: the same inputs give the same key."""
    whole = orjson.dumps({"vars": vars_, "messages": messages, "expected": expected}, option=orjson.OPT_SORT_KEYS)
    return "c-" + hashlib.sha256(whole).hexdigest()[:16]


def build_case(raw: object, where: str, *, allow_python: bool = False) -> Case:
    """A checked `Case` from a raw mapping (`CASE_FIELDS`; `assert` is promptfoo's name for `assertions`)."""
    check = CaseCheck(where)
    if not isinstance(raw, Mapping):
        raise InvalidRequest(f"{where}: expected a case (a mapping with vars or messages), got {type(raw).__name__}")
    unknown = [k for k in raw if k not in CASE_FIELDS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), CASE_FIELDS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "remove it"
        raise check.fail(str(unknown[0]), "is not a field of a case", f"{hint} (fields: {', '.join(CASE_FIELDS)})")
    if "assert" in raw and "assertions" in raw:
        raise check.fail("assertions", "given twice, as assert and assertions", "keep one of them")
    vars_ = check.vars(raw.get("vars"))
    messages = check.messages(raw.get("messages"))
    if not vars_ and messages is None:
        raise check.fail("vars", "a case needs vars or messages", "write vars: {question: ...} or messages: [...]")
    expected = check.text("expected", raw.get("expected"), MAX_EXPECTED_CHARS)
    description = check.text("description", raw.get("description"), MAX_METADATA_VALUE_CHARS)
    assertions = check_assertions(raw.get("assert", raw.get("assertions")), where, allow_python=allow_python)
    key = check.key(raw.get("key")) or derived_key(vars_, raw.get("messages"), expected)
    return Case(
        key=key,
        vars=vars_,
        messages=messages,
        expected=expected,
        assertions=assertions,
        metadata=check.metadata(raw.get("metadata"), description),
        tags=check.tags(raw.get("tags")),
        source_trace_id=check.trace_id(raw.get("source_trace_id")),
    )


def check_unique_keys(cases: Sequence[Case], wheres: Sequence[str]) -> None:
    """Keys are stable within a version: two cases with one key are refused, naming both places."""
    if len(cases) > MAX_CASES:
        raise InvalidRequest(f"{len(cases):,} cases, at most {MAX_CASES:,} in one version. Fix: split the dataset",
                             param="cases")  # fmt: skip
    seen: dict[str, str] = {}
    for case, where in zip(cases, wheres, strict=True):
        if case.key in seen:
            raise InvalidRequest(
                f"{where}: key: {case.key!r} is also the key of the case at {seen[case.key]}. Fix: give each case "
                "its own key (a case without one is keyed by its content, so it repeats an identical case)",
                param="key",
            )
        seen[case.key] = where
