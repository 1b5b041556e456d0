"""Typed places where a capability keeps its own things on the gateway state and on a call.

A capability declares a key once, at module level, with the type of what it keeps:

    BUDGETS = StateKey[BudgetRuntime]("budgets")        # one per server, on `GatewayState.slots`
    RESERVATION = CallKey[Cover]("budgets.reservation")  # one per call, on `CallContext.slots`

and reads it back typed (`state.slots[BUDGETS]` is a `BudgetRuntime`). Keys compare by identity,
so two capabilities that pick the same name never see each other's values, and core code needs to
know no capability's name (it replaces the untyped `dict[str, Any]` side channels).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast, overload

__all__ = ["CallKey", "SlotKey", "Slots", "StateKey"]

T = TypeVar("T")
D = TypeVar("D")


class SlotKey(Generic[T]):
    """A key for one typed value; its name only shows in errors and reprs."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class StateKey(SlotKey[T]):
    """What a capability keeps for the life of the server, on `GatewayState.slots`."""

    __slots__ = ()


class CallKey(SlotKey[T]):
    """What a capability keeps for one gateway call, on `CallContext.slots`."""

    __slots__ = ()


class Slots:
    """The values kept under `SlotKey`s; reading a key that holds nothing raises KeyError naming it."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[SlotKey[Any], object] = {}

    def __setitem__(self, key: SlotKey[T], value: T) -> None:
        self._values[key] = value

    def __getitem__(self, key: SlotKey[T]) -> T:
        try:
            return cast(T, self._values[key])
        except KeyError:
            raise KeyError(f"nothing is kept under {key!r}") from None

    def __contains__(self, key: SlotKey[Any]) -> bool:
        return key in self._values

    @overload
    def get(self, key: SlotKey[T]) -> T | None: ...
    @overload
    def get(self, key: SlotKey[T], default: D) -> T | D: ...
    def get(self, key: SlotKey[T], default: object = None) -> object:
        return self._values.get(key, default)

    def take(self, key: SlotKey[T]) -> T:
        """Remove and return the value kept under `key` (KeyError naming it when there is none)."""
        value = self[key]
        del self._values[key]
        return value

    @overload
    def pop(self, key: SlotKey[T]) -> T | None: ...
    @overload
    def pop(self, key: SlotKey[T], default: D) -> T | D: ...
    def pop(self, key: SlotKey[T], default: object = None) -> object:
        return self._values.pop(key, default)
