"""Properties over every key the parsers accept: a typo of it is refused with a suggestion, and every
fix hint for a bad value is itself a value that passes validation."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from rungway.capability import registered_sections
from rungway.errors import ConfigError
from rungway.services.config_check import check_config
from rungway.settings.config import load_config
from tests.servers import environment
from tests.settings.known_keys import EVERY_SECTION, accepted_key_paths

ENTRY_NAMES = {
    "providers": "sim",
    "models": "fast",
    "prices": "some-model",
    "workloads": "wl",
    "deployments": "fast-eu",
}
BASE: dict[str, Any] = yaml.safe_load(EVERY_SECTION)
# Leaf keys a typo or bad value can be tried on; provider options are the provider's (tests/providers).
KEYS = sorted(
    p for p in accepted_key_paths() if "." in p and not p.endswith("<name>") and not p.startswith("providers")
)


def concrete(path: str) -> list[str]:
    parts = path.split(".")
    if parts[0] in ENTRY_NAMES and len(parts) > 1:
        parts[1] = ENTRY_NAMES[parts[0]]
    if parts[:2] == ["routing", "workloads"] and len(parts) > 2:
        parts[2] = "wl[0]"  # the workload's first rule
    return ["wl" if part == "<name>" else part for part in parts]  # a mapping of names inside a section


def with_value(parts: list[str], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    node = data
    for part in parts[:-1]:
        name, _, index = part.partition("[")
        if index:  # `wl[0]`: an item of a list
            node = node[name][int(index.rstrip("]"))]
            continue
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return data


def check(tmp_path: Path, data: dict[str, Any]) -> None:
    path = tmp_path / "rungway.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    check_config(load_config(path, environment(), registered_sections()))


def typo(key: str) -> str:
    """The last two letters swapped (`potr`), else the last one dropped (`backof`)."""
    swapped = key[:-2] + key[-1] + key[-2]
    return swapped if swapped != key else key[:-1]


def test_the_base_file_passes_and_the_walk_covers_every_section(tmp_path: Path) -> None:
    check(tmp_path, BASE)
    sections = {k.split(".")[0] for k in KEYS}
    assert sections == {k for k in BASE if k != "providers"}, sections


@pytest.mark.parametrize("key_path", KEYS)
def test_a_typo_of_any_key_is_refused_with_file_line_path_and_the_key_it_meant(tmp_path: Path, key_path: str) -> None:
    parts = concrete(key_path)
    misspelt = [*parts[:-1], typo(parts[-1])]
    with pytest.raises(ConfigError) as caught:
        check(tmp_path, with_value(misspelt, 1))
    message = caught.value.message
    assert re.match(r".*rungway\.yaml:\d+: ", message), message
    assert f"{'.'.join(misspelt)}: unknown key" in message, message
    assert f"did you mean `{parts[-1]}`?" in message, message


def test_a_misspelt_section_is_refused_with_the_section_it_meant(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["tarcing"] = data.pop("tracing")
    with pytest.raises(ConfigError, match=r"rungway\.yaml:\d+: tarcing: unknown section. Fix: did you mean `tracing`"):
        check(tmp_path, data)


HINT = re.compile(r"write e\.g\. (`[^`]+`|[^\s,;()]+)")
BAD_VALUES: list[Any] = [-1, "not-a-valid-value", 0, 10**30, True, [1]]


# Paths of files that must exist: no literal example passes on every machine, so the hint says what to give.
NAMES_AN_EXISTING_FILE = {"counters.redis_ca_file"}


@pytest.mark.parametrize("key_path", sorted(set(KEYS) - NAMES_AN_EXISTING_FILE))
def test_every_fix_hint_for_a_bad_value_passes_validation(tmp_path: Path, key_path: str) -> None:
    parts = concrete(key_path)
    tried = 0
    for bad in BAD_VALUES:
        try:
            check(tmp_path, with_value(parts, bad))
        except ConfigError as exc:
            message = exc.message
        else:
            continue
        assert f": {'.'.join(parts)}" in message, message  # the error names the key (or a key under it)
        found = HINT.search(message)
        assert found, f"no `write e.g. VALUE` hint: {message}"
        hint = yaml.safe_load(found.group(1).strip("`"))
        check(tmp_path, with_value(parts, hint))  # raises if the hint breaks its own rule
        tried += 1
    assert tried or key_path in ACCEPT_ANY_SCALAR, f"no bad value was refused for {key_path}"


# Free text (names, descriptions, hosts, key prefixes, secrets, model ids): any scalar is a valid string.
ACCEPT_ANY_SCALAR = {
    "server.host",
    "server.admin_key",
    "counters.key_prefix",
    "counters.redis_url",
    "models.<name>.model",
    "workloads.<name>.description",
    "workloads.<name>.team",
    "workloads.<name>.tenant",
}
