"""The stream filter alone: what it releases delta by delta, held back by at most its look-behind window."""

from __future__ import annotations

from unittest.mock import MagicMock

from rungway.guardrails.answers import AnswerGuard, StreamFilter
from rungway.guardrails.config import parse_guardrails
from rungway.guardrails.filtering import TextFilter

KEY = "AKIAZ3MEXQ7RPLW4TQ2N"


def _filter(action: str, window: int = 32, restore: dict[str, str] | None = None) -> tuple[StreamFilter, MagicMock]:
    config = parse_guardrails({"default": {"output": {"secrets": {"action": action}}}})
    ctx = MagicMock(guard_hits=[])
    return StreamFilter(ctx, TextFilter(config.default.output, "output"), restore or {}, window), ctx


def _run(stream: StreamFilter, deltas: list[str]) -> str:
    out = []
    for delta in deltas:
        verdict = stream.feed(delta)
        assert verdict.blocked is None
        out.append(verdict.text)
    out.append(stream.close().text)
    return "".join(out)


def test_a_key_split_over_many_deltas_is_redacted_whole() -> None:
    stream, ctx = _filter("redact", window=40)  # a value up to half the window is always seen whole
    text = f"here is the key {KEY} and more words after it to push the window along"
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    released = _run(stream, pieces)
    assert released == text.replace(KEY, "[AWS_KEY_1]")
    assert [h.rule for h in ctx.guard_hits] == ["secrets.aws_access_key"]


def test_at_most_the_window_is_held_back() -> None:
    stream, _ = _filter("redact", window=16)
    held = 0
    for _ in range(50):
        released = stream.feed("word ").text
        held += 5 - len(released)
        assert held <= 16
    assert held > 0 and len(stream.close().text) == held


def test_a_block_releases_nothing_of_the_value() -> None:
    stream, ctx = _filter("block")
    out = []
    for piece in ["the key is AKIA", "Z3MEXQ7R", "PLW4TQ2N done"]:
        verdict = stream.feed(piece)
        if verdict.blocked is not None:
            assert verdict.blocked.status == 422 and verdict.blocked.code == "output_blocked"
            break
        out.append(verdict.text)
    else:
        raise AssertionError("not blocked")
    assert "AKIA" not in "".join(out)
    assert [h.action for h in ctx.guard_hits] == ["block"]


def test_restore_never_cuts_through_a_placeholder() -> None:
    stream, _ = _filter("flag", window=16, restore={"[EMAIL_1]": "ann@example.com"})
    text = "write to [EMAIL_1] about the renewal of the contract, then to [EMAIL_1] again please"
    released = _run(stream, [text[i : i + 4] for i in range(0, len(text), 4)])
    assert released == text.replace("[EMAIL_1]", "ann@example.com")


def test_a_workload_without_output_rules_or_restores_opens_no_stream_guard() -> None:
    guard = AnswerGuard(parse_guardrails({"default": {"input": {"pii": {"action": "redact"}}}}))
    ctx = MagicMock(guard_hits=[], key=None, slots=MagicMock(get=lambda key: None))
    assert guard.open_stream(ctx) is None
    assert guard.check(ctx, "plain").text == "plain"
