"""`text_completion` and `CompletionStream`: the chat answer in the legacy completions shape."""

from __future__ import annotations

import orjson

from rungway.completions.answer import CompletionStream, text_completion
from rungway.domain.usage import Usage
from rungway.errors import InvalidRequest
from rungway.gateway.responses import SSE_DONE

COMPLETION = {
    "id": "chatcmpl-1",
    "created": 1_700_000_000,
    "model": "m-2024",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "there"}, "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": None}, "finish_reason": "length"},
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}


def test_a_chat_completion_is_a_text_completion_with_the_request_id() -> None:
    answer = orjson.loads(text_completion(COMPLETION, "req_ABC", "Hi ", "m"))
    assert answer == {
        "id": "cmpl-ABC",
        "object": "text_completion",
        "created": 1_700_000_000,
        "model": "m-2024",
        "choices": [
            {"text": "Hi there", "index": 0, "logprobs": None, "finish_reason": "stop"},
            {"text": "Hi ", "index": 1, "logprobs": None, "finish_reason": "length"},
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def _events(raw: list[bytes]) -> list[object]:
    return [b if b == SSE_DONE else orjson.loads(b.removeprefix(b"data: ")) for b in raw]


def test_a_stream_echoes_once_per_choice_and_ends_with_usage_when_asked() -> None:
    stream = CompletionStream("req_X", "m", "Hi", wants_usage=True)
    out = list(stream.chunk({"model": "m-1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}))
    out += stream.chunk({"choices": [{"index": 0, "delta": {"content": " you"}, "finish_reason": None}]})
    out += stream.chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    out += stream.chunk({"choices": [], "usage": {"prompt_tokens": 1}})
    out += stream.end(Usage(input=1, output=2))
    events = _events(out)
    texts = [(e["choices"][0]["text"], e["choices"][0]["finish_reason"]) for e in events[:-2]]  # type: ignore[index]
    assert texts == [("Hi", None), (" you", None), ("", "stop")]
    assert events[-2] == {
        "id": "cmpl-X",
        "object": "text_completion",
        "created": events[-2]["created"],  # type: ignore[index]
        "model": "m-1",
        "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    assert out[-1] == SSE_DONE


def test_a_stream_without_usage_asked_ends_with_done_only_and_errors_in_openais_shape() -> None:
    stream = CompletionStream("req_X", "m", None, wants_usage=False)
    assert list(stream.end(Usage(input=1, output=2))) == [SSE_DONE]
    error = orjson.loads(stream.error(InvalidRequest("bad", param="p")).removeprefix(b"data: "))
    assert error["error"]["message"] == "bad" and error["error"]["param"] == "p"
