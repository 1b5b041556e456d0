"""What changed between two versions of a prompt: message text, variables, model and parameters. Pure.

Messages are compared by position: each message's text as a unified diff (role changes are shown
too), a message only one side has as added or removed. Variables are compared by name, parameters
by field. The API, the CLI and the dashboard's review page show the same `PromptDiff`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from rungway.prompts.model import PromptVersion
from rungway.prompts.template import JsonValue, TemplateMessage

__all__ = ["Change", "MessageDiff", "PromptDiff", "diff_versions"]


@dataclass(frozen=True, slots=True)
class Change:
    """A named value before and after (None: absent on that side)."""

    name: str
    before: JsonValue
    after: JsonValue

    def to_json(self) -> dict[str, JsonValue]:
        return {"name": self.name, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class MessageDiff:
    """One message position that differs: roles on each side (None: absent) and the text's unified diff."""

    index: int
    role_before: str | None
    role_after: str | None
    unified: str

    @property
    def status(self) -> str:
        if self.role_before is None:
            return "added"
        return "removed" if self.role_after is None else "changed"

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "index": self.index,
            "status": self.status,
            "role_before": self.role_before,
            "role_after": self.role_after,
            "unified": self.unified,
        }


@dataclass(frozen=True, slots=True)
class PromptDiff:
    """Every difference between version `from_ref` and version `to_ref` of one prompt."""

    from_ref: str
    to_ref: str
    messages: tuple[MessageDiff, ...]
    variables_added: tuple[str, ...]
    variables_removed: tuple[str, ...]
    variables_changed: tuple[Change, ...]
    model: Change | None
    parameters: tuple[Change, ...]

    @property
    def identical(self) -> bool:
        return not (
            self.messages
            or self.variables_added
            or self.variables_removed
            or self.variables_changed
            or self.model
            or self.parameters
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "from": self.from_ref,
            "to": self.to_ref,
            "identical": self.identical,
            "messages": [m.to_json() for m in self.messages],
            "variables": {
                "added": list(self.variables_added),
                "removed": list(self.variables_removed),
                "changed": [c.to_json() for c in self.variables_changed],
            },
            "model": self.model.to_json() if self.model is not None else None,
            "parameters": [c.to_json() for c in self.parameters],
        }


def _message_diff(index: int, a: TemplateMessage | None, b: TemplateMessage | None, refs: tuple[str, str]) -> str:
    before = a.content.splitlines(keepends=True) if a is not None else []
    after = b.content.splitlines(keepends=True) if b is not None else []
    lines = difflib.unified_diff(
        before, after, f"{refs[0]} messages[{index}]", f"{refs[1]} messages[{index}]", lineterm="\n"
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of message\n" for line in lines)


def diff_versions(a: PromptVersion, b: PromptVersion) -> PromptDiff:
    """What changed from version `a` to version `b`."""
    refs = (a.ref, b.ref)
    messages: list[MessageDiff] = []
    ma, mb = a.content.messages, b.content.messages
    for index in range(max(len(ma), len(mb))):
        left = ma[index] if index < len(ma) else None
        right = mb[index] if index < len(mb) else None
        if left == right:
            continue
        messages.append(
            MessageDiff(
                index,
                left.role if left else None,
                right.role if right else None,
                _message_diff(index, left, right, refs),
            )
        )
    va = {v.name: v.to_json() for v in a.content.variables}
    vb = {v.name: v.to_json() for v in b.content.variables}
    pa, pb = a.content.parameters.to_json(), b.content.parameters.to_json()
    model = Change("model", a.content.model, b.content.model) if a.content.model != b.content.model else None
    return PromptDiff(
        from_ref=refs[0],
        to_ref=refs[1],
        messages=tuple(messages),
        variables_added=tuple(n for n in vb if n not in va),
        variables_removed=tuple(n for n in va if n not in vb),
        variables_changed=tuple(Change(n, va[n], vb[n]) for n in va if n in vb and va[n] != vb[n]),
        model=model,
        parameters=tuple(Change(n, pa.get(n), pb.get(n)) for n in sorted({*pa, *pb}) if pa.get(n) != pb.get(n)),
    )
