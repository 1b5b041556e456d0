"""docs/assessment.md documents every item, every `assessment:` key, every command and every API route."""

from __future__ import annotations

from pathlib import Path

from rungway.api.assess import router
from rungway.assess.model import load_model
from rungway.assess.settings import _KEYS
from rungway.cli.assess import assess_group

DOC = (Path(__file__).parents[2] / "docs" / "assessment.md").read_text()


def test_every_item_and_config_key_is_documented() -> None:
    missing = [i.id for i in load_model().items if f"`{i.id}`" not in DOC]
    assert not missing
    assert not [key for key in _KEYS if f"  {key}:" not in DOC]


def test_every_command_and_route_is_documented() -> None:
    assert not [name for name in assess_group.commands if f"rungway assess {name}" not in DOC]
    assert not [r.path for r in router.routes if r.path.split("{")[0] not in DOC]
