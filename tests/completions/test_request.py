"""`read_completion_request`: a prompt as one user message, sampling fields passed, the unservable refused."""

from __future__ import annotations

import pytest

from rungway.completions.request import DEFAULT_MAX_TOKENS, read_completion_request
from rungway.errors import InvalidRequest


def test_a_prompt_becomes_one_user_message_with_openais_default_max_tokens() -> None:
    chat, request = read_completion_request({"model": "m", "prompt": "Hi", "temperature": 0.2, "stop": ["\n"]})
    assert chat == {
        "model": "m",
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.2,
        "stop": ["\n"],
        "max_tokens": DEFAULT_MAX_TOKENS,
    }
    assert request.echo_prompt is None


def test_echo_stream_and_a_null_max_tokens_are_kept() -> None:
    body = {"model": "m", "prompt": ["Hi"], "echo": True, "max_tokens": None, "stream": True, "n": 2, "best_of": 2}
    chat, request = read_completion_request({**body, "stream_options": {"include_usage": True}})
    assert request.echo_prompt == "Hi" and "max_tokens" not in chat and "best_of" not in chat
    assert chat["stream"] is True and chat["stream_options"] == {"include_usage": True} and chat["n"] == 2


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": ["a", "b"]}, "prompt"),
        ({"prompt": [5, 6]}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({"prompt": "a", "suffix": "z"}, "suffix"),
        ({"prompt": "a", "logprobs": 0}, "logprobs"),
        ({"prompt": "a", "best_of": 2}, "best_of"),
        ({"prompt": "a", "echo": 1}, "echo"),
        ({"prompt": "a", "messages": []}, "messages"),
    ],
)
def test_what_cannot_be_served_is_refused_naming_the_field(body: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        read_completion_request({"model": "m", **body})
    assert refused.value.param == param
