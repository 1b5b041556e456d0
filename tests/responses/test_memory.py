"""`memory.py`: the bounded LRU of recent responses, scoped by workload, with tombstones for deletes."""

from __future__ import annotations

import time

from rungway.responses.memory import ResponseMemory
from rungway.responses.model import StoredResponse, item_response_id


def stored(response_id: str, workload: str = "a", created_at: float | None = None) -> StoredResponse:
    return StoredResponse(response_id, workload, created_at or time.time(), [], {"output": []})


def test_the_oldest_used_entry_goes_first_past_the_capacity() -> None:
    memory = ResponseMemory(2, 3600)
    memory.put(stored("resp_1"))
    memory.put(stored("resp_2"))
    assert memory.get("a", "resp_1") is not None  # now the newest used
    memory.put(stored("resp_3"))
    assert memory.get("a", "resp_2") is None and memory.get("a", "resp_1") is not None


def test_another_workload_and_an_expired_entry_read_as_absent() -> None:
    memory = ResponseMemory(10, 60)
    memory.put(stored("resp_1"))
    memory.put(stored("resp_old", created_at=time.time() - 120))
    assert memory.get("b", "resp_1") is None and memory.get("a", "resp_old") is None


def test_a_forgotten_id_is_a_tombstone() -> None:
    memory = ResponseMemory(10, 60)
    memory.put(stored("resp_1"))
    memory.forget("a", "resp_1")
    assert memory.get("a", "resp_1") is None and memory.deleted("a", "resp_1") and not memory.deleted("b", "resp_1")


def test_an_item_id_names_its_response() -> None:
    assert item_response_id("msg_abc_0") == "resp_abc" and item_response_id("fc_a_b_i3") == "resp_a_b"
    assert item_response_id("nonsense") is None and item_response_id("msg__0") is None
