"""Byte scans of a streamed chunk (`providers/stream_scan.py`): what a relay must know without parsing."""

from __future__ import annotations

import json

import orjson
import pytest

from rungway.providers.base import StreamChunk
from rungway.providers.stream_scan import has_choices, needs_parsing, value_at

BASE = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m"}
CONTENT = {**BASE, "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}
USAGE = {**BASE, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


def spaced(value: object) -> bytes:
    return json.dumps(value, separators=(" ,\n ", " :\t ")).encode()


@pytest.mark.parametrize("encode", [orjson.dumps, spaced], ids=["compact", "spaced"])
def test_usage_and_errors_are_found_whatever_the_spacing(encode: object) -> None:
    dump = encode  # type: ignore[assignment]
    assert not needs_parsing(dump(CONTENT))  # type: ignore[operator]
    assert not needs_parsing(dump({**CONTENT, "usage": None}))  # type: ignore[operator]
    assert needs_parsing(dump(USAGE))  # type: ignore[operator]
    assert needs_parsing(dump({"error": {"message": "overloaded"}}))  # type: ignore[operator]


def test_a_key_inside_a_string_is_not_a_key() -> None:
    text = '{"usage": {"prompt_tokens": 9}} and "choices": []'
    chunk = orjson.dumps({**BASE, "choices": [{"index": 0, "delta": {"content": text}}], "usage": None})
    assert not needs_parsing(chunk)
    assert has_choices(chunk)
    assert value_at(b'{"a":"usage","usage":null}', b'"usage"') == len(b'{"a":"usage","usage":')


def test_what_is_not_a_plain_object_is_left_to_the_parser() -> None:
    assert needs_parsing(b"[1, 2]")
    assert needs_parsing(b'{"choices": [')  # cut: the parser reports it
    assert needs_parsing(b' {"choices": []}')


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (orjson.dumps(CONTENT), True),
        (spaced(CONTENT), True),
        (orjson.dumps(USAGE), False),
        (b'{"choices" : [ \n ] , "usage": null}', False),
        (b'{"choices": null}', False),
        (b'{"id": "x"}', False),
    ],
)
def test_has_choices(raw: bytes, expected: bool) -> None:
    assert has_choices(raw) is expected
    assert StreamChunk(None, raw).has_choices() is expected
    assert StreamChunk(orjson.loads(raw), raw).has_choices() is expected


def test_a_chunk_parses_its_raw_bytes_once_on_first_use() -> None:
    raw = orjson.dumps(CONTENT)
    chunk = StreamChunk(None, raw)
    assert not chunk.parsed
    assert chunk.data == CONTENT and chunk.parsed
    assert chunk.data is chunk.data
    with pytest.raises(ValueError, match="needs its data or its raw bytes"):
        StreamChunk()
