"""Which store errors a batch writer may blame on one row, and which mean the store itself is unwell.

A data error (a value the store refuses: too long, out of range, a NUL character, a NOT NULL or
unique violation, a value the driver cannot convert) fails again on every retry, so the writer
splits the batch to find the row and quarantines it. Anything else (connection refused, disk
full, a read-only file, a missing table) may heal, so the writer retries it with backoff.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError, StatementError

# PEP 249 exception classes that always mean "this row", whatever the driver.
_DATA_CLASS_NAMES = frozenset({"DataError", "IntegrityError"})
# PostgreSQL SQLSTATE classes and codes caused by a row's values: 22 data exception, 23 integrity
# constraint violation, 42804 datatype mismatch, 54000 program limit (an index row too large).
_PG_DATA_CLASSES = ("22", "23")
_PG_DATA_CODES = frozenset({"42804", "54000"})


def is_data_error(exc: BaseException) -> bool:
    """True when retrying the same rows cannot succeed: split the batch and quarantine the bad row."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return False
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    # Python-side conversion failures: an int beyond 64 bits for sqlite3, a str that cannot be
    # encoded, a value of a type the driver does not know.
    if isinstance(exc, OverflowError | UnicodeError | TypeError | ValueError):
        return True
    if isinstance(exc, sqlite3.ProgrammingError):
        return True  # "Error binding parameter": a value sqlite3 cannot store
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate.startswith(_PG_DATA_CLASSES) or sqlstate in _PG_DATA_CODES
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & _DATA_CLASS_NAMES:
        return True
    # psycopg raises client-side adaptation errors (a NUL in text, a type it cannot dump) as
    # ProgrammingError or DataError without a SQLSTATE: the server never saw them.
    return "ProgrammingError" in names and sqlstate is None and type(exc).__module__.startswith("psycopg")


def is_duplicate(exc: BaseException) -> bool:
    """A unique-key violation: on replay, the record is already stored (not a bad row)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    if getattr(exc, "sqlstate", None) == "23505":
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(exc)


def describe(exc: BaseException) -> str:
    """One line: the error's class and first line, without SQL text or parameters (they may hold content)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:300]}"
