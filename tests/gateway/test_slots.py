"""Typed slots (`gateway/slots.py`): where capabilities keep their things on the state and on a call."""

from __future__ import annotations

import pytest

from rungway.gateway.slots import CallKey, Slots, StateKey


def test_a_value_is_read_back_under_its_key() -> None:
    runtime = StateKey[list[int]]("budgets")
    slots = Slots()
    slots[runtime] = [1, 2]
    assert runtime in slots and slots[runtime] == [1, 2] and slots.get(runtime) == [1, 2]


def test_keys_with_the_same_name_do_not_see_each_others_values() -> None:
    mine, theirs = CallKey[str]("reservation"), CallKey[str]("reservation")
    slots = Slots()
    slots[mine] = "mine"
    assert theirs not in slots and slots.get(theirs) is None and slots.get(theirs, "none") == "none"


def test_reading_an_empty_key_names_it() -> None:
    with pytest.raises(KeyError, match=r"nothing is kept under CallKey\('budgets.reservation'\)"):
        Slots()[CallKey[int]("budgets.reservation")]


def test_take_removes_the_value_and_pop_tolerates_none() -> None:
    key = CallKey[int]("cover")
    slots = Slots()
    slots[key] = 7
    assert slots.take(key) == 7 and key not in slots
    with pytest.raises(KeyError):
        slots.take(key)
    assert slots.pop(key) is None and slots.pop(key, 3) == 3
    slots[key] = 8
    assert slots.pop(key) == 8 and key not in slots
