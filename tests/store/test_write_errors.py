"""Which store errors a batch writer blames on one row (`store/write_errors.py`): real errors raised by
SQLite and PostgreSQL for bad rows, and for a store that is unwell."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from rungway.store.write_errors import describe, is_data_error, is_duplicate

TABLE = sa.Table(
    "rows",
    sa.MetaData(),
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("note", sa.Text),
)


@pytest.fixture
def engine(store_url: str) -> sa.Engine:
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    TABLE.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(TABLE.insert(), [{"id": "a", "n": 1, "note": "secret prompt"}])
    return engine


def error_of(engine: sa.Engine, statement: sa.Executable, rows: list[dict[str, object]] | None = None) -> Exception:
    with pytest.raises(Exception) as caught, engine.begin() as conn:
        conn.execute(statement, rows) if rows else conn.execute(statement)
    assert isinstance(caught.value, Exception)
    return caught.value


def test_a_duplicate_row_is_a_data_error_and_a_duplicate(engine: sa.Engine) -> None:
    error = error_of(engine, TABLE.insert(), [{"id": "a", "n": 2}])
    assert is_data_error(error) and is_duplicate(error)


def test_a_missing_required_value_is_a_data_error_but_no_duplicate(engine: sa.Engine) -> None:
    error = error_of(engine, TABLE.insert(), [{"id": "b", "n": None}])
    assert is_data_error(error) and not is_duplicate(error)


def test_a_number_beyond_64_bits_is_a_data_error(engine: sa.Engine) -> None:
    assert is_data_error(error_of(engine, TABLE.insert(), [{"id": "c", "n": 2**64}]))


def test_a_missing_table_is_the_store_being_unwell_not_a_bad_row(engine: sa.Engine) -> None:
    error = error_of(engine, sa.text("INSERT INTO no_such_table VALUES (1)"))
    assert not is_data_error(error) and not is_duplicate(error)


@pytest.mark.postgres
def test_postgres_refusals_of_a_value_are_data_errors(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    TABLE.metadata.create_all(engine)
    try:
        assert is_data_error(error_of(engine, TABLE.insert(), [{"id": "d", "n": 1, "note": "nul\x00byte"}]))
        assert is_data_error(error_of(engine, TABLE.insert(), [{"id": "x" * 17, "n": 1}]))  # too long
        assert is_data_error(error_of(engine, sa.text("SELECT 1 / 0")))  # 22012, a data exception
    finally:
        engine.dispose()


def test_an_unreachable_store_is_not_a_data_error() -> None:
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(Exception) as caught:
        engine.connect()
    assert not is_data_error(caught.value)


def test_python_side_conversion_failures_are_data_errors() -> None:
    assert is_data_error(OverflowError("int too big")) and is_data_error(UnicodeEncodeError("utf-8", "x", 0, 1, "bad"))
    assert not is_data_error(ConnectionResetError()) and not is_data_error(OSError("disk full"))


def test_describe_gives_the_class_and_first_line_without_the_sql_or_its_values(engine: sa.Engine) -> None:
    error = error_of(engine, TABLE.insert(), [{"id": "a", "n": 2, "note": "secret prompt"}])
    text = describe(error)
    assert text.startswith(("IntegrityError: ", "UniqueViolation: ")) and "secret" not in text and "\n" not in text
    assert describe(ValueError("")) == "ValueError: "
    assert len(describe(ValueError("x" * 1000))) == len("ValueError: ") + 300
