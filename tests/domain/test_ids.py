"""Identifiers (`domain/ids.py`): time-ordered, unique, in the shapes W3C trace context requires."""

from __future__ import annotations

import os
import re
import time

from rungway.domain.ids import new_id, new_span_id, new_trace_id


def test_ids_are_26_base32_characters_after_their_prefix_and_sort_by_time() -> None:
    first = new_id("req_")
    assert re.fullmatch(r"req_[0-9a-hjkmnp-tv-z]{26}", first)
    millisecond = int(time.time() * 1000)
    while int(time.time() * 1000) == millisecond:  # into the next millisecond: the time prefix must grow
        pass
    assert new_id("req_") > first


def test_ids_do_not_repeat() -> None:
    ids = {new_id() for _ in range(20_000)}
    assert len(ids) == 20_000


def test_trace_ids_are_32_hex_with_the_millisecond_time_first() -> None:
    before = int(time.time() * 1000)
    trace_id = new_trace_id()
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    assert before <= int(trace_id[:12], 16) <= int(time.time() * 1000)


def test_span_ids_are_16_hex_and_never_all_zero() -> None:
    ids = [new_span_id() for _ in range(1000)]
    assert all(re.fullmatch(r"[0-9a-f]{16}", s) and s != "0" * 16 for s in ids)
    assert len(set(ids)) == 1000


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next id and leave without running the parent's cleanup
        os.write(write, new_span_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert child != new_span_id()
