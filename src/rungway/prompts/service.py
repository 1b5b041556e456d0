"""The prompt library's use cases: create versions, read them, review them, move labels.

The API, the CLI (through the API), the dashboard and push/import all go through these functions,
so the rules hold however a change arrives:
- a version is immutable, and the same content is the same version (`created: False`);
- a workload's view of a name is its own prompt, else the shared one; a workload prompt may not take
  a shared prompt's name and a shared prompt may not take a name any workload uses (409);
- only an admin changes a shared prompt; a viewer changes nothing; a key acts in its own workload only
  (another workload's prompt is "not found", exactly like a missing one);
- a review needs a person key (developer or admin) and is never the version's author's;
- a protected label moves to a version only with enough approvals by people other than its author,
  and never while someone's latest decision on it is a rejection; every move is recorded.
Each function is one transaction and blocking; async callers run it in a thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from rungway.domain.ids import new_id
from rungway.domain.keys import Role
from rungway.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from rungway.prompts.config import PromptsConfig
from rungway.prompts.hooks import LabelGuard, LabelMoveCheck, guards_for
from rungway.prompts.model import (
    LATEST,
    SHARED,
    Actor,
    Decision,
    LabelMove,
    PromptSummary,
    PromptVersion,
    Review,
    VersionCreated,
    scope_of,
    valid_label,
    valid_name,
)
from rungway.prompts.store import (
    PromptRow,
    find_prompt,
    insert_move,
    insert_prompt,
    insert_review,
    insert_version,
    labels_of,
    latest_version_number,
    lock_name,
    read_summaries,
    read_version,
    read_versions,
    reviews_of,
    scopes_named,
    set_label,
    touch_prompt,
    version_by_hash,
)
from rungway.prompts.store import (
    label_moves as read_moves,
)
from rungway.prompts.template import PromptContent

__all__ = [
    "MAX_COMMENT_CHARS",
    "MAX_MESSAGE_CHARS",
    "approvers_of",
    "create_version",
    "get_version",
    "label_moves",
    "list_prompts",
    "list_versions",
    "move_label",
    "review",
    "reviews",
]

MAX_MESSAGE_CHARS = 4_000
MAX_COMMENT_CHARS = 4_000
MAX_REASON_CHARS = 1_000


def _check_name(name: str) -> None:
    if not valid_name(name):
        raise InvalidRequest(
            f"prompt name {name[:80]!r} is not valid: start with a letter or digit, then letters, digits, "
            "'.', '_' or '-', at most 128 characters",
            param="name",
        )


def _bounded(value: str, field: str, limit: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidRequest(f"{field} is required: say why, in a few words", param=field)
    if len(value) > limit:
        raise InvalidRequest(f"{field} is longer than {limit} characters", param=field)
    if "\x00" in value:
        raise InvalidRequest(f"{field} must not contain NUL characters", param=field)
    return value


def _not_found(name: str, workload: str | None) -> NotFound:
    where = f"workload {workload!r} or shared" if workload else "the shared prompts"
    return NotFound(f"no prompt named {name!r} in {where}; list them with `rungway prompts list`", param="name")


def _may_change(actor: Actor, workload: str | None, name: str) -> None:
    """Writers: a developer in its own workload; an admin anywhere; a shared prompt: an admin only."""
    if not actor.role.allows(Role.DEVELOPER):
        raise PermissionDenied(
            f"This needs the developer role; the key has {actor.role.value}.", code="insufficient_role"
        )
    if actor.is_admin:
        return
    if workload is None:
        raise PermissionDenied(
            "Only an admin key creates or changes shared prompts.", code="insufficient_role", param="shared"
        )
    if actor.workload != workload:
        raise _not_found(name, actor.workload)


def _resolve(conn: Connection, workload: str | None, name: str) -> PromptRow | None:
    """A workload's view of a name: its own prompt, else the shared one."""
    own = find_prompt(conn, scope_of(workload), name)
    if own is not None or workload is None:
        return own
    return find_prompt(conn, SHARED, name)


def _resolved(conn: Connection, workload: str | None, name: str) -> PromptRow:
    _check_name(name)
    prompt = _resolve(conn, workload, name)
    if prompt is None:
        raise _not_found(name, workload)
    return prompt


def create_version(
    engine: Engine,
    *,
    workload: str | None,
    name: str,
    content: PromptContent,
    message: str,
    actor: Actor,
    now: float | None = None,
) -> VersionCreated:
    """A new version of `name` in `workload` (None: shared), or the existing one with the same content."""
    _check_name(name)
    _may_change(actor, workload, name)
    message = _bounded(message, "message", MAX_MESSAGE_CHARS, required=False)
    for attempt in (1, 2):
        try:
            with engine.begin() as conn:  # stamped once the connection is held: a wait for one is not in it
                return _create(conn, workload, name, content, message, actor, time.time() if now is None else now)
        except IntegrityError:
            if attempt == 2:  # a concurrent writer made the same prompt or version twice: read what it made
                raise
    raise AssertionError("unreachable")


def _create(
    conn: Connection,
    workload: str | None,
    name: str,
    content: PromptContent,
    message: str,
    actor: Actor,
    now: float,
) -> VersionCreated:
    lock_name(conn, name)
    scope = scope_of(workload)
    clash = [s for s in scopes_named(conn, name) if s != scope and (s == SHARED or scope == SHARED)]
    if clash:
        if scope == SHARED:
            raise Conflict(
                f"a workload already has a prompt named {name!r}; a shared prompt needs a name no workload uses",
                param="name",
                code="prompt_name_taken",
            )
        raise Conflict(
            f"{name!r} is a shared prompt's name; pick another name for the workload's own prompt",
            param="name",
            code="prompt_name_taken",
        )
    prompt = find_prompt(conn, scope, name) or insert_prompt(conn, new_id("prm_"), scope, name, now)
    existing = version_by_hash(conn, prompt, content.content_hash())
    if existing is not None:
        return VersionCreated(existing, created=False)
    number = latest_version_number(conn, prompt.id) + 1
    version = insert_version(conn, new_id("pv_"), prompt, number, content, message, actor.name, actor.key_id, now)
    touch_prompt(conn, prompt.id, now)
    return VersionCreated(version, created=True)


def get_version(
    engine: Engine, *, workload: str | None, name: str, version: int | None = None, label: str | None = None
) -> PromptVersion:
    """The version asked for (by number or label; the newest when neither), as `workload` sees `name`."""
    if version is not None and label is not None:
        raise InvalidRequest("give a version or a label, not both", param="version")
    with engine.connect() as conn:
        prompt = _resolved(conn, workload, name)
        if label is not None and label != LATEST:
            version = labels_of(conn, prompt.id).get(label) if valid_label(label) else None
            if version is None:
                raise NotFound(
                    f"prompt {name!r} has no label {label[:70]!r}; move one: `rungway prompts label {name} LABEL N`",
                    param="label",
                )
        found = read_version(conn, prompt, version)
    if found is None:
        raise NotFound(f"prompt {name!r} has no version {version}", param="version")
    return found


def list_prompts(engine: Engine, *, workload: str | None = None, include_shared: bool = True) -> list[PromptSummary]:
    """The prompts `workload` sees (its own, and shared ones when asked); None: every workload's (admins)."""
    scopes = None if workload is None else [scope_of(workload), *([SHARED] if include_shared else [])]
    with engine.connect() as conn:
        found = read_summaries(conn, scopes)
    if workload is None and not include_shared:
        found = [p for p in found if p.workload is not None]
    return found


def list_versions(
    engine: Engine, *, workload: str | None, name: str, limit: int = 100, before: int | None = None
) -> list[PromptVersion]:
    """Newest first, at most `limit`; `before` pages back past that version."""
    with engine.connect() as conn:
        return read_versions(conn, _resolved(conn, workload, name), max(1, min(limit, 1000)), before)


def label_moves(
    engine: Engine, *, workload: str | None, name: str, label: str | None = None, limit: int = 100
) -> list[LabelMove]:
    """Every recorded move of the prompt's labels (or one label), newest first."""
    with engine.connect() as conn:
        return read_moves(conn, _resolved(conn, workload, name).id, label, max(1, min(limit, 1000)))


def reviews(engine: Engine, *, workload: str | None, name: str, version: int | None = None) -> list[Review]:
    """Every decision on the prompt's versions (or one version), oldest first."""
    with engine.connect() as conn:
        return reviews_of(conn, _resolved(conn, workload, name).id, version)


def approvers_of(decisions: list[Review], author: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(approvers, rejecters) of a version: each person's latest decision counts; the author never does."""
    latest: dict[str, Decision] = {}
    for decision in decisions:  # oldest first: a later decision replaces an earlier one
        if decision.reviewer != author:
            latest[decision.reviewer] = decision.decision
    return (
        tuple(sorted(p for p, d in latest.items() if d == "approve")),
        tuple(sorted(p for p, d in latest.items() if d == "reject")),
    )


def review(
    engine: Engine,
    policy: PromptsConfig,
    *,
    workload: str | None,
    name: str,
    version: int,
    decision: str,
    comment: str,
    actor: Actor,
    now: float | None = None,
) -> Review:
    """Record a person's approval or rejection of a version; never the author's own."""
    del policy  # the policy decides what a move needs; any reviewer may decide on any version
    if decision not in ("approve", "reject"):
        raise InvalidRequest(f"decision must be approve or reject, got {decision[:20]!r}", param="decision")
    comment = _bounded(comment, "comment", MAX_COMMENT_CHARS, required=True)
    with engine.begin() as conn:
        prompt = _resolved(conn, workload, name)
        _may_change(actor, prompt.workload, name)
        if not actor.is_person:
            raise PermissionDenied(
                "A review needs a person's key: create one with `rungway keys create --person --owner NAME "
                "--role developer`.",
                code="person_key_required",
            )
        target = read_version(conn, prompt, version)
        if target is None:
            raise NotFound(f"prompt {name!r} has no version {version}", param="version")
        if target.author == actor.name:
            raise PermissionDenied(
                f"{actor.name} wrote {target.ref}: a version is reviewed by someone other than its author.",
                code="self_review",
            )
        made = Review(
            id=new_id("prv_"),
            name=prompt.name,
            workload=prompt.workload,
            version=version,
            decision="approve" if decision == "approve" else "reject",
            comment=comment,
            reviewer=actor.name,
            reviewer_key_id=actor.key_id,
            created_at=time.time() if now is None else now,
        )
        insert_review(conn, prompt, made)
    return made


def move_label(
    engine: Engine,
    policy: PromptsConfig,
    *,
    workload: str | None,
    name: str,
    label: str,
    version: int,
    reason: str,
    actor: Actor,
    now: float | None = None,
    guards: Sequence[LabelGuard] | None = None,
) -> LabelMove:
    """Point `label` at `version`, if the workload's review policy and every guard allow it, and record the move.

    A label already at `version` is not moved again: the move that put it there is returned. Each guard
    (another capability's, registered on `PromptHooks`; by default those of the server owning `engine`)
    sees the move inside this transaction and may refuse."""
    reason = _bounded(reason, "reason", MAX_REASON_CHARS, required=True)
    with engine.begin() as conn:
        _check_name(name)
        lock_name(conn, name)
        prompt = _resolved(conn, workload, name)
        _may_change(actor, prompt.workload, name)
        if label == LATEST or not valid_label(label):
            raise InvalidRequest(
                f"label {label[:70]!r} cannot be moved: labels are lowercase letters, digits, '.', '_' or '-' "
                "(at most 64), and `latest` is always the newest version",
                param="label",
            )
        target = read_version(conn, prompt, version)
        if target is None:
            raise NotFound(f"prompt {name!r} has no version {version}", param="version")
        current = labels_of(conn, prompt.id).get(label)
        if current == version:
            earlier = read_moves(conn, prompt.id, label, 1)
            if earlier:
                return earlier[0]
        rules = policy.policy_for(prompt.workload)
        protected = rules.is_protected(label)
        approvers, rejecters = approvers_of(reviews_of(conn, prompt.id, version), target.author)
        if protected:
            _check_approvals(target, label, approvers, rejecters, rules.approvals_required)
        check = LabelMoveCheck(prompt.workload, prompt.name, label, version, protected)
        for guard in guards_for(engine) if guards is None else guards:
            guard(conn, check)
        when = time.time() if now is None else now
        move = LabelMove(
            id=new_id("plm_"),
            name=prompt.name,
            workload=prompt.workload,
            label=label,
            from_version=current,
            to_version=version,
            reason=reason,
            actor=actor.name,
            actor_key_id=actor.key_id,
            moved_at=when,
            protected=protected,
            approvers=approvers,
        )
        set_label(conn, prompt.id, label, version, when, existed=current is not None)
        insert_move(conn, prompt, move)
        touch_prompt(conn, prompt.id, when)
    return move


def _check_approvals(
    target: PromptVersion, label: str, approvers: tuple[str, ...], rejecters: tuple[str, ...], required: int
) -> None:
    if rejecters:
        raise Conflict(
            f"{target.ref} was rejected by {', '.join(rejecters)}; it cannot move to the protected label {label!r} "
            "until they approve it (or create a new version)",
            param="version",
            code="version_rejected",
        )
    if len(approvers) < required:
        have = f"approved by {', '.join(approvers)}" if approvers else "no approvals yet"
        raise Conflict(
            f"{target.ref} needs {required} approval(s) by someone other than its author ({target.author}) to move to "
            f"the protected label {label!r}; {have}. Fix: `rungway prompts approve {target.name} {target.version}` "
            "with another person's key",
            param="version",
            code="approval_required",
        )
