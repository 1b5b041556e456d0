"""Grouped tables (`rungway usage`, `rungway cost report`) head the group column after the grouping."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.http import chat
from tests.cli.run import invoke
from tests.servers import Gateway


@pytest.fixture
def logged(gateway_factory: Callable[..., Gateway], sqlite_url: str) -> str:
    gw = gateway_factory(store_url=sqlite_url)
    assert chat(gw, gw.create_key("support-bot").secret, user="ana") == 200
    gw.flush()
    return sqlite_url


def headings(table: str) -> list[str]:
    header = next(line for line in table.splitlines() if "Requests" in line)
    return [cell.strip() for cell in header.strip("┃│ ").replace("┃", "│").split("│") if cell.strip()]


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (("usage", "--by", "workload"), "Workload"),
        (("usage", "--by", "user"), "User"),
        (("usage", "--by", "key"), "Key"),
        (("cost", "report", "--by", "workload"), "Workload"),
        (("cost", "report", "--by", "provider_account"), "Provider account"),
        (("cost", "report", "--by", "tag", "--tag", "feature"), "Tag feature"),
    ],
)
def test_the_group_column_is_named_after_the_grouping(logged: str, args: tuple[str, ...], first: str) -> None:
    table = invoke(logged, *args).output
    assert headings(table)[0] == first, table


def test_csv_keeps_the_stable_key_column_for_scripts(logged: str) -> None:
    assert invoke(logged, "usage", "--by", "workload", "--format", "csv").output.startswith("key,")
