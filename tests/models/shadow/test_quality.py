"""Agreement measures of B's answer against A's: exact, token F1, ROUGE-L, JSON kept valid, tools."""

from __future__ import annotations

from rungway.models.shadow.quality import MAX_CHARS, Answer, agreement, answer_of, rouge_l, token_f1


def _completion(content: str | None = None, tools: tuple[str, ...] = ()) -> dict[str, object]:
    message: dict[str, object] = {"role": "assistant", "content": content}
    if tools:
        message["tool_calls"] = [{"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": "{}"}}
                                 for i, name in enumerate(tools)]  # fmt: skip
    return {"choices": [{"index": 0, "message": message}]}


def test_answer_of_reads_the_first_choice_and_bounds_it() -> None:
    assert answer_of(_completion("hi", ("weather",))) == Answer("hi", ("weather",))
    assert answer_of(None) == Answer("") and answer_of({"choices": []}) == Answer("")
    assert len(answer_of(_completion("x" * (MAX_CHARS + 10))).text) == MAX_CHARS


def test_token_f1_and_rouge_l() -> None:
    assert token_f1("the cat sat", "the cat sat") == 1.0
    assert token_f1("the cat sat", "a dog ran") == 0.0
    assert abs(token_f1("the cat sat on the mat", "the cat sat") - 2 * 1.0 * 0.5 / 1.5) < 1e-9
    assert rouge_l("a b c d", "a c b d") == 0.75  # LCS 3 of 4 both ways
    assert rouge_l("", "") == 1.0 and rouge_l("a", "") == 0.0
    assert token_f1("Hello, World!", "hello world") == 1.0  # words, not punctuation or case


def test_agreement_asks_json_only_when_a_answered_json_and_tools_only_when_called() -> None:
    same = agreement(Answer('{"a": 1}'), Answer('{"a": 1}'))
    assert same.exact_match and same.json_valid is True and same.tool_names_equal is None
    broken = agreement(Answer('{"a": 1}'), Answer('{"a": '))
    assert not broken.exact_match and broken.json_valid is False
    assert agreement(Answer("plain"), Answer("{}")).json_valid is None
    tools = agreement(Answer("", ("weather", "time")), Answer("", ("weather",)))
    assert tools.tool_names_equal is False and not tools.exact_match
    assert agreement(Answer("", ("weather",)), Answer("", ("weather",))).tool_names_equal is True
