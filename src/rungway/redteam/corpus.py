"""The built-in attack corpus (`data/attacks.json`), versioned, and the strategies that derive attacks from it.

Each base attack has a category, a goal (what a successful attack makes the model do: print a `marker`,
leak the `canary` planted in the system prompt, echo planted `pii` or a planted `secret`, or `comply` with a
request it should refuse) and either one user message (`text`) or a scripted conversation (`turns`). A
strategy derives attacks from named base attacks: encodings (base64, ROT13, leetspeak) and translation
templates; a derived attack's id is `base+strategy` and it keeps the base's goal. Results are matched across
runs by attack id and corpus version, so a changed attack ships under a new corpus version.
"""

from __future__ import annotations

import base64
import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson

from rungway.errors import ConfigError, InvalidRequest

__all__ = ["GOALS", "Attack", "Corpus", "apply_strategy", "leetspeak", "load_corpus"]

GOALS = ("marker", "canary", "pii", "secret", "comply")
_LEET = str.maketrans({"a": "4", "A": "4", "e": "3", "E": "3", "i": "1", "I": "1", "o": "0", "O": "0",
                       "s": "5", "S": "5", "t": "7", "T": "7"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Attack:
    """One attack as sent: its user turns in order (one for a single message), what success means."""

    id: str
    category: str
    goal: str
    turns: tuple[str, ...]
    marker: str | None = None
    strategy: str | None = None


@dataclass(frozen=True, slots=True)
class Corpus:
    """The corpus's version and its attacks, base and derived, in file order."""

    version: str
    attacks: tuple[Attack, ...]

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(a.category for a in self.attacks))

    def select(self, categories: Sequence[str] | None) -> list[Attack]:
        """The attacks of these categories (all when None); an unknown category is a 400 naming the known."""
        if not categories:
            return list(self.attacks)
        known = self.categories
        for name in categories:
            if name not in known:
                raise InvalidRequest(
                    f"no red-team category {name!r}: use one of {', '.join(known)}", param="categories"
                )
        return [a for a in self.attacks if a.category in categories]


def leetspeak(text: str) -> str:
    return text.translate(_LEET)


def apply_strategy(name: str, text: str) -> str:
    """The base attack's text as the strategy sends it (before its template wraps it)."""
    if name == "base64":
        return base64.b64encode(text.encode()).decode()
    if name == "rot13":
        return codecs.encode(text, "rot13")
    if name == "leetspeak":
        return leetspeak(text)
    return text  # translation templates wrap the text as it is


def _base(raw: dict[str, Any]) -> Attack:
    turns = tuple(raw["turns"]) if "turns" in raw else (str(raw["text"]),)
    if raw["goal"] not in GOALS or (raw["goal"] == "marker") != bool(raw.get("marker")):
        raise ConfigError(f"attack {raw.get('id')!r}: goal {raw.get('goal')!r} and marker disagree")
    return Attack(str(raw["id"]), str(raw["category"]), str(raw["goal"]), turns, raw.get("marker"))


def _derived(strategy: dict[str, Any], base: Attack) -> Attack:
    name = str(strategy["name"])
    *before, last = base.turns
    sent = str(strategy["template"]).replace("{encoded}", apply_strategy(name, last))
    marker = base.marker
    return Attack(f"{base.id}+{name}", str(strategy["category"]), base.goal, (*before, sent), marker, name)


def parse_corpus(data: dict[str, Any]) -> Corpus:
    bases = [_base(raw) for raw in data["attacks"]]
    by_id = {a.id: a for a in bases}
    if len(by_id) != len(bases):
        raise ConfigError("the attack corpus repeats an attack id")
    derived = [_derived(s, by_id[ref]) for s in data.get("strategies", []) for ref in s["applies_to"]]
    return Corpus(str(data["version"]), (*bases, *derived))


@cache
def load_corpus() -> Corpus:
    """The corpus shipped with the package (read once)."""
    raw = resources.files("rungway.redteam").joinpath("data/attacks.json").read_bytes()
    return parse_corpus(orjson.loads(raw))
