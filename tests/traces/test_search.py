"""How a text search is spelled for the stores (`traces/search.py`): each pattern is run by the real
database against content stored in each way an instrumentation may have written the text."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from rungway.traces.search import search_needles, search_patterns

TEXTS = ["café", "Привет", "😀 ok", 'say "hi"', "50% off_now", "back\\slash"]


def stored_spellings(text: str) -> list[bytes]:
    """As written, JSON-escaped once (ASCII or not), and a JSON document holding that JSON string."""
    once = json.dumps({"m": text})
    return [
        text.encode(),
        once.encode(),
        json.dumps({"m": text}, ensure_ascii=False).encode(),
        json.dumps({"content": once}).encode(),
        b"\x0a\x00" + text.encode() + b"\x00\x12",  # inside a protobuf span, NUL bytes around it
    ]


def matches(engine: sa.Engine, content: bytes, text: str) -> bool:
    table = sa.Table("content", sa.MetaData(), sa.Column("content", sa.LargeBinary))
    with engine.begin() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
        conn.execute(table.insert(), [{"content": content}])
        if engine.dialect.name == "postgresql":
            searched = sa.func.encode(table.c.content, "escape")
            condition = sa.or_(*(searched.ilike(p, escape="\\") for p in search_patterns(text, pg_escape=True)))
        else:
            as_text = sa.cast(table.c.content, sa.Text)
            condition = sa.or_(
                *(as_text.ilike(p, escape="\\") for p in search_patterns(text, pg_escape=False)),
                *(sa.func.instr(table.c.content, sa.literal(n, sa.LargeBinary)) > 0 for n in search_needles(text)),
            )
        return conn.execute(sa.select(sa.func.count()).where(condition)).scalar_one() == 1


@pytest.fixture
def engine(store_url: str) -> sa.Engine:
    return sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))


@pytest.mark.parametrize("text", TEXTS)
def test_the_text_is_found_however_it_was_stored(engine: sa.Engine, text: str) -> None:
    for content in stored_spellings(text):
        assert matches(engine, content, text), content


def test_like_wildcards_in_the_query_are_literal(engine: sa.Engine) -> None:
    assert not matches(engine, b"50 percent off now", "50% off_now")
    assert not matches(engine, b"cafe", "caf_")


def test_ascii_letters_match_in_any_case(engine: sa.Engine) -> None:
    assert matches(engine, b'{"m": "Hello World"}', "hello world")


def test_patterns_and_needles_list_each_spelling_once() -> None:
    assert search_patterns("plain", pg_escape=False) == ["%plain%"]
    assert search_needles("plain") == [b"plain"]
    assert search_patterns("é", pg_escape=True)[0] == "%\\\\303\\\\251%"  # bytea's escape form, LIKE-escaped
