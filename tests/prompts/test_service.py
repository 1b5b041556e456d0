"""The library's rules, on SQLite and PostgreSQL: immutable versions, scopes, reviews and label moves."""

from __future__ import annotations

import pytest

from rungway.domain.keys import Role
from rungway.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from rungway.prompts.config import PromptsConfig, ReviewPolicy, parse_prompts
from rungway.prompts.service import (
    create_version,
    get_version,
    label_moves,
    list_prompts,
    list_versions,
    move_label,
    review,
    reviews,
)
from tests.prompts.support import ADMIN, app_key, content, open_store, person

POLICY = PromptsConfig()
ANN, BOB, CID = person("ann"), person("bob"), person("cid")


def test_a_version_never_changes_and_the_same_content_is_the_same_version(store_url: str) -> None:
    engine = open_store(store_url)
    first = create_version(engine, workload="test", name="support", content=content(), message="first", actor=ANN)
    again = create_version(engine, workload="test", name="support", content=content(), message="again", actor=BOB)
    second = create_version(
        engine, workload="test", name="support", content=content("Answer {{question}} briefly."), message="", actor=BOB
    )
    assert (first.created, again.created, second.created) == (True, False, True)
    assert again.version == first.version and again.version.message == "first" and again.version.author == "ann"
    assert (first.version.version, second.version.version) == (1, 2)
    read = get_version(engine, workload="test", name="support", version=1)
    assert read.content == content() and read.content_hash == first.version.content_hash == content().content_hash()
    assert (read.message, read.author, read.author_key_id) == ("first", "ann", "key_ann")
    assert get_version(engine, workload="test", name="support").version == 2  # newest
    assert get_version(engine, workload="test", name="support", label="latest").version == 2
    assert [v.version for v in list_versions(engine, workload="test", name="support")] == [2, 1]
    assert [v.version for v in list_versions(engine, workload="test", name="support", before=2)] == [1]


def test_reads_name_what_is_missing(store_url: str) -> None:
    engine = open_store(store_url)
    create_version(engine, workload="test", name="support", content=content(), message="", actor=ANN)
    with pytest.raises(NotFound, match="no prompt named 'nope'"):
        get_version(engine, workload="test", name="nope")
    with pytest.raises(NotFound, match="no version 7"):
        get_version(engine, workload="test", name="support", version=7)
    with pytest.raises(NotFound, match="no label 'production'"):
        get_version(engine, workload="test", name="support", label="production")
    with pytest.raises(InvalidRequest):
        get_version(engine, workload="test", name="support", version=1, label="production")
    with pytest.raises(InvalidRequest, match="prompt name"):
        create_version(engine, workload="test", name="-bad name", content=content(), message="", actor=ANN)


def test_a_workload_never_sees_another_workloads_prompt_and_both_see_shared_ones(store_url: str) -> None:
    engine = open_store(store_url)
    create_version(engine, workload="limited", name="secret", content=content(), message="", actor=ADMIN)
    create_version(engine, workload=None, name="house-style", content=content("Be {{tone}}."), message="", actor=ADMIN)
    with pytest.raises(NotFound):
        get_version(engine, workload="test", name="secret")
    assert get_version(engine, workload="test", name="house-style").workload is None
    assert [(p.name, p.workload) for p in list_prompts(engine, workload="test")] == [("house-style", None)]
    assert [(p.name, p.workload) for p in list_prompts(engine)] == [("house-style", None), ("secret", "limited")]
    assert [p.name for p in list_prompts(engine, workload="limited", include_shared=False)] == ["secret"]
    intruder = person("eve", workload="test")
    for attempt in (
        lambda: move_label(
            engine, POLICY, workload="limited", name="secret", label="staging", version=1, reason="x", actor=intruder
        ),
        lambda: review(
            engine,
            POLICY,
            workload="limited",
            name="secret",
            version=1,
            decision="approve",
            comment="ok",
            actor=intruder,
        ),
        lambda: create_version(
            engine, workload="limited", name="secret", content=content("x"), message="", actor=intruder
        ),
    ):
        with pytest.raises(NotFound, match="no prompt named 'secret'"):
            attempt()


def test_shared_prompts_are_changed_by_admins_only_and_their_names_never_clash(store_url: str) -> None:
    engine = open_store(store_url)
    with pytest.raises(PermissionDenied, match="admin"):
        create_version(engine, workload=None, name="house-style", content=content(), message="", actor=ANN)
    create_version(engine, workload=None, name="house-style", content=content(), message="", actor=ADMIN)
    with pytest.raises(Conflict, match="shared prompt"):
        create_version(engine, workload="test", name="house-style", content=content(), message="", actor=ANN)
    create_version(engine, workload="test", name="support", content=content(), message="", actor=ANN)
    with pytest.raises(Conflict, match="a workload already has"):
        create_version(engine, workload=None, name="support", content=content(), message="", actor=ADMIN)
    with pytest.raises(PermissionDenied):
        move_label(
            engine, POLICY, workload="test", name="house-style", label="staging", version=1, reason="x", actor=ANN
        )
    viewer = person("val", role=Role.VIEWER)
    with pytest.raises(PermissionDenied, match="developer role"):
        create_version(engine, workload="test", name="support", content=content("v"), message="", actor=viewer)


def test_no_one_approves_their_own_version_into_a_protected_label(store_url: str) -> None:
    engine = open_store(store_url)
    create_version(engine, workload="test", name="support", content=content(), message="", actor=ANN)
    same_person_other_key = person("ann")
    with pytest.raises(PermissionDenied, match="someone other than its author") as caught:
        review(
            engine,
            POLICY,
            workload="test",
            name="support",
            version=1,
            decision="approve",
            comment="lgtm",
            actor=same_person_other_key,
        )
    assert caught.value.code == "self_review"
    with pytest.raises(Conflict, match="needs 1 approval") as blocked:
        move_label(
            engine, POLICY, workload="test", name="support", label="production", version=1, reason="ship", actor=ANN
        )
    assert blocked.value.code == "approval_required"
    with pytest.raises(PermissionDenied, match="person's key"):
        review(
            engine,
            POLICY,
            workload="test",
            name="support",
            version=1,
            decision="approve",
            comment="ok",
            actor=app_key("key_app"),
        )
    with pytest.raises(PermissionDenied):
        review(
            engine,
            POLICY,
            workload="test",
            name="support",
            version=1,
            decision="approve",
            comment="ok",
            actor=person("vic", role=Role.VIEWER),
        )
    review(engine, POLICY, workload="test", name="support", version=1, decision="approve", comment="lgtm", actor=BOB)
    move = move_label(
        engine,
        POLICY,
        workload="test",
        name="support",
        label="production",
        version=1,
        reason="ship it",
        actor=ANN,
        now=1_900_000_000.0,
    )
    assert (move.label, move.from_version, move.to_version, move.actor, move.approvers, move.protected) == (
        "production",
        None,
        1,
        "ann",
        ("bob",),
        True,
    )
    assert move.reason == "ship it" and move.moved_at == 1_900_000_000.0
    assert get_version(engine, workload="test", name="support", label="production").labels == ("production",)


def test_unprotected_labels_move_freely_and_every_move_is_recorded(store_url: str) -> None:
    engine = open_store(store_url)
    for text in ("one {{q}}", "two {{q}}"):
        create_version(engine, workload="test", name="support", content=content(text), message="", actor=ANN)
    first = move_label(
        engine, POLICY, workload="test", name="support", label="staging", version=1, reason="try", actor=ANN
    )
    second = move_label(
        engine,
        POLICY,
        workload="test",
        name="support",
        label="staging",
        version=2,
        reason="try two",
        actor=app_key("key_ci"),
    )
    again = move_label(
        engine, POLICY, workload="test", name="support", label="staging", version=2, reason="noop", actor=ANN
    )
    assert again == second  # already there: nothing new recorded
    moves = label_moves(engine, workload="test", name="support")
    assert [(m.from_version, m.to_version, m.actor, m.reason, m.protected) for m in moves] == [
        (1, 2, "key_ci", "try two", False),
        (None, 1, "ann", "try", False),
    ]
    assert moves[1] == first
    with pytest.raises(InvalidRequest, match="latest"):
        move_label(engine, POLICY, workload="test", name="support", label="latest", version=1, reason="x", actor=ANN)
    with pytest.raises(InvalidRequest, match="reason is required"):
        move_label(engine, POLICY, workload="test", name="support", label="beta", version=1, reason=" ", actor=ANN)
    with pytest.raises(NotFound, match="no version 9"):
        move_label(engine, POLICY, workload="test", name="support", label="beta", version=9, reason="x", actor=ANN)


def test_a_rejection_blocks_until_that_reviewer_approves(store_url: str) -> None:
    engine = open_store(store_url)
    create_version(engine, workload="test", name="support", content=content(), message="", actor=ANN)
    review(engine, POLICY, workload="test", name="support", version=1, decision="approve", comment="ok", actor=BOB)
    review(engine, POLICY, workload="test", name="support", version=1, decision="reject", comment="tone", actor=CID)
    with pytest.raises(Conflict, match="rejected by cid") as caught:
        move_label(
            engine, POLICY, workload="test", name="support", label="production", version=1, reason="x", actor=ANN
        )
    assert caught.value.code == "version_rejected"
    review(engine, POLICY, workload="test", name="support", version=1, decision="approve", comment="fixed?", actor=CID)
    move = move_label(
        engine, POLICY, workload="test", name="support", label="production", version=1, reason="x", actor=ANN
    )
    assert move.approvers == ("bob", "cid")
    decided = reviews(engine, workload="test", name="support", version=1)
    assert [(r.reviewer, r.decision, r.comment) for r in decided] == [
        ("bob", "approve", "ok"),
        ("cid", "reject", "tone"),
        ("cid", "approve", "fixed?"),
    ]
    with pytest.raises(InvalidRequest, match="comment is required"):
        review(engine, POLICY, workload="test", name="support", version=1, decision="approve", comment="", actor=BOB)
    with pytest.raises(InvalidRequest, match="decision"):
        review(engine, POLICY, workload="test", name="support", version=1, decision="maybe", comment="x", actor=BOB)


def test_approvals_required_comes_from_the_workloads_policy(store_url: str) -> None:
    engine = open_store(store_url)
    policy = parse_prompts({"workloads": {"test": {"approvals_required": 2}, "limited": {"approvals_required": 0}}})
    create_version(engine, workload="test", name="support", content=content(), message="", actor=ANN)
    create_version(
        engine, workload="limited", name="support", content=content(), message="", actor=person("lou", "limited")
    )
    free = move_label(
        engine,
        policy,
        workload="limited",
        name="support",
        label="production",
        version=1,
        reason="no review needed here",
        actor=person("lou", "limited"),
    )
    assert free.approvers == () and free.protected
    review(engine, policy, workload="test", name="support", version=1, decision="approve", comment="ok", actor=BOB)
    with pytest.raises(Conflict, match="needs 2 approval"):
        move_label(
            engine, policy, workload="test", name="support", label="production", version=1, reason="x", actor=ANN
        )
    review(engine, policy, workload="test", name="support", version=1, decision="approve", comment="ok", actor=CID)
    assert move_label(
        engine, policy, workload="test", name="support", label="production", version=1, reason="x", actor=ANN
    ).approvers == ("bob", "cid")
    custom = PromptsConfig(default=ReviewPolicy(frozenset({"gold"}), 1))
    move = move_label(engine, custom, workload="test", name="support", label="canary", version=1, reason="x", actor=ANN)
    assert not move.protected
