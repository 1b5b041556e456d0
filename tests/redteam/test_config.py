"""The `redteam:` section: schedules per workload, with errors naming the key and the fix."""

from __future__ import annotations

import pytest

from rungway.errors import ConfigError
from rungway.redteam.config import parse_redteam


def test_a_schedule_is_read() -> None:
    config = parse_redteam({"tick_s": 5, "workloads": {"bot": {"every": "7d", "categories": ["jailbreak"],
                                                               "prompt": "support@production"}}})  # fmt: skip
    schedule = config.schedules["bot"]
    assert schedule.every_s == 7 * 86400 and schedule.categories == ("jailbreak",) and config.tick_s == 5
    assert parse_redteam(None).schedules == {}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"workloads": {"bot": {"every": "1s", "model": "m"}}}, "redteam.workloads.bot.every"),
        ({"workloads": {"bot": {"every": "7d", "model": "m", "categories": ["nope"]}}}, "categories"),
        ({"workloads": {"bot": {"every": "7d"}}}, "a prompt or a model"),
        ({"workloads": {"bot": {"every": "7d", "model": "m", "evry": 1}}}, "evry"),
        ({"tick_s": 0}, "redteam.tick_s"),
        ({"server_url": "localhost"}, "redteam.server_url"),
    ],
)
def test_mistakes_name_the_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_redteam(section)
