"""docs/assessment.md documents every item, every `assessment:` key, every command and every API route."""

from __future__ import annotations

from pathlib import Path

from rungway.assessment.api import router
from rungway.assessment.cli import assess_group
from rungway.assessment.model_file import load_model
from tests.settings.known_keys import accepted_key_paths

DOC = (Path(__file__).parents[2] / "docs" / "assessment.md").read_text()


def test_every_item_and_config_key_is_documented() -> None:
    missing = [i.id for i in load_model().items if f"`{i.id}`" not in DOC]
    assert not missing
    keys = {p.split(".")[-1] for p in accepted_key_paths() if p.startswith("assessment.")}
    assert {"interval", "thresholds", "webhook", "retries"} <= keys
    assert not [key for key in keys if f"  {key}:" not in DOC]


def test_every_command_and_route_is_documented() -> None:
    assert not [name for name in assess_group.commands if f"rungway assess {name}" not in DOC]
    assert not [r.path for r in router.routes if r.path.split("{")[0] not in DOC]
