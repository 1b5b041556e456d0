"""`rungway cost savings`, `rungway cache stats` and `rungway cache clear`: on the store, and through a server's API
(scoped to the key's workload); mistakes are one line naming the fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from rungway.capability import migration_packages
from rungway.cli.main import cli
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from tests.caching.seeding import CACHE_CONFIG, ask, seed_savings
from tests.cli.run import rungway
from tests.servers import Gateway


def _seeded_config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path}/cli.db"
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    seed_savings(engine)
    engine.dispose()
    config = tmp_path / "rungway.yaml"
    config.write_text(
        f"store:\n  url: {url}\nprices:\n  gpt-x: {{input: 2.5, output: 10, cached_input: 1.25}}\n"
        "cache:\n  workloads:\n    support: {ttl_s: 60}\n"
    )
    return config


def test_cost_savings_reads_the_store_with_the_configured_prices(tmp_path: Path) -> None:
    config = str(_seeded_config(tmp_path))
    runner = CliRunner()
    found = runner.invoke(cli, ["cost", "savings", "--by", "workload", "--since", "30d", "--json", "--config", config])
    assert found.exit_code == 0, found.output
    data = json.loads(found.output)
    support = {r["key"]: r for r in data["rows"]}["support"]
    assert (support["exact"]["hits"], support["semantic"]["saved_nano"]) == (2, 7000)
    assert support["prompt_cache"]["saved_nano"] == 1_250_000 and data["total"]["saved_nano"] == 1_515_000
    table = runner.invoke(cli, ["cost", "savings", "--workload", "other", "--config", config])
    assert table.exit_code == 0, table.output
    assert "other" in table.output and "support" not in table.output
    assert "50 cached prompt tokens of unpriced models not counted" in table.output
    stats = runner.invoke(cli, ["cache", "stats", "--config", config])
    assert stats.exit_code == 0 and "support: 0 entries" in stats.output


def test_cache_stats_and_clear_through_the_server(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CACHE_CONFIG)
    secret = gw.create_key("test").secret
    assert [ask(gw, secret, "hi") for _ in range(2)] == ["miss", "hit"]
    gw.flush()
    server = ["--server", gw.base_url, "--key", secret]
    runner = CliRunner()
    stats = runner.invoke(cli, ["cache", "stats", *server])
    assert stats.exit_code == 0, stats.output
    assert stats.output.startswith("test: 1 entries") and "1 in memory; exact only" in stats.output
    savings = runner.invoke(cli, ["cost", "savings", "--json", *server])
    assert json.loads(savings.output)["total"]["exact"]["hits"] == 1
    cleared = runner.invoke(cli, ["cache", "clear", "--workload", "test", *server])
    assert cleared.exit_code == 0, cleared.output
    assert "test: 1 stored entries deleted, 1 dropped from memory" in cleared.output
    assert ask(gw, secret, "hi") == "miss"


def test_clearing_another_workload_is_one_line_naming_it(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CACHE_CONFIG)
    other = gw.create_key("other").secret
    done = rungway(None, "cache", "clear", "-w", "test", "--server", gw.base_url, "--key", other)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: no cache for this key in workload 'test'"
    bad = rungway(None, "cost", "savings", "--since", "soon", "--server", gw.base_url, "--key", other)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "since" in bad.stderr
