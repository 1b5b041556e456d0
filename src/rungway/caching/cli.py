"""`rungway cost savings`, `rungway cache stats` and `rungway cache clear --workload W`.

Each reads (or clears) the store directly (`--config` names the rungway.yaml whose store, prices and `cache:` to
use), so it works without a server; given `--server URL` it goes through that server's `/api/cache` instead,
with a key (`--key`, $RUNGWAY_API_KEY): the API's scope applies (a key's own workload), the server's memory tier
is shown, and a clear also empties that server's memory and semantic index. Mistakes print one line naming the fix.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import click

from rungway.caching.config import CACHE_SECTION, CacheConfig
from rungway.cli.api_client import connect, server_options
from rungway.cli.options import config_file, config_option, open_store
from rungway.cli.render import fmt_usd
from rungway.domain.pricing import PriceTable

__all__ = ["cache_group", "savings_command"]


@dataclass(frozen=True)
class _Local:
    """What a store-backed command needs from rungway.yaml: its prices and `cache:` section."""

    prices: PriceTable
    cache: CacheConfig


def _local(config_path: str | None) -> _Local:
    from rungway.capability import registered_sections
    from rungway.settings.config import load_config, shipped_prices
    from rungway.settings.env import read_environment

    env = read_environment()
    path = config_file(config_path)
    if path is None:
        return _Local(shipped_prices(), CacheConfig())
    config = load_config(path, env, registered_sections())
    return _Local(config.prices, config.section(CACHE_SECTION))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_savings(data: dict[str, Any]) -> None:
    header = f"{data['by'].capitalize():<24} {'Chat calls':>10} {'Exact':>13} {'Semantic':>13} {'Exact $':>11} "
    click.echo(header + f"{'Semantic $':>11} {'Prompt cache $':>15} {'Saved':>11} {'Spend':>11} {'Saved %':>8}")
    for row in [*data["rows"], {**data["total"], "key": "TOTAL"}]:
        ex, se, pc = row["exact"], row["semantic"], row["prompt_cache"]
        click.echo(
            f"{row['key'] or '(none)'!s:<24.24} {row['chat_calls']:>10,} "
            f"{ex['hits']:>6,} {_pct(ex['hit_rate']):>6} {se['hits']:>6,} {_pct(se['hit_rate']):>6} "
            f"{fmt_usd(ex['saved_usd']):>11} {fmt_usd(se['saved_usd']):>11} {fmt_usd(pc['saved_usd']):>15} "
            f"{fmt_usd(row['saved_usd']):>11} {fmt_usd(row['spend_usd']):>11} {_pct(row['saved_share']):>8}"
        )
    unpriced = data["total"]["prompt_cache"]["unpriced_tokens"]
    note = f"; {unpriced:,} cached prompt tokens of unpriced models not counted" if unpriced else ""
    click.echo(f"prompt caching priced at today's price table ({data['prices_as_of'] or 'configured'}){note}")


@click.command("savings")
@click.option("--by", "by", type=click.Choice(["workload", "model"]), default="workload", show_default=True)
@click.option("--since", default="30d", show_default=True, help="30d, 24h, an ISO date or epoch seconds")
@click.option("--workload", "-w", default=None, help="Only this workload's calls")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@config_option
@server_options
def savings_command(
    by: str, since: str, workload: str | None, as_json: bool, config_path: str | None, server: str | None,
    key: str | None,
) -> None:  # fmt: skip
    """What the exact and semantic caches and the providers' prompt caching saved, next to spend."""
    if server is not None:
        data = connect(server, key).get("/api/cache/savings", {"by": by, "since": since, "workload": workload})
    else:
        from rungway.caching.savings import savings

        engine = open_store(config_path)
        data = savings(engine, _local(config_path).prices, by, since, None, None if workload is None else [workload])
        data = data.to_json()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    _print_savings(data)


@click.group("cache")
def cache_group() -> None:
    """The exact and semantic answer caches: their state, and forgetting a workload's answers."""


@cache_group.command("stats")
@click.option("--workload", "-w", default=None, help="Only this workload")
@click.option("--json", "as_json", is_flag=True, help="print the stats as JSON")
@config_option
@server_options
def stats_command(workload: str | None, as_json: bool, config_path: str | None, server: str | None,
                  key: str | None) -> None:  # fmt: skip
    """Entries per workload, the server's memory tier, the semantic checks' precision and the layers' states."""
    if server is not None:
        data = connect(server, key).get("/api/cache/stats", {"workload": workload})
    else:
        from rungway.caching.stats import cache_stats

        engine = open_store(config_path)
        local = _local(config_path)
        data = cache_stats(engine, local.cache, None if workload is None else [workload], time.time()).to_json()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    memory = data["memory"]
    if memory is not None:
        click.echo(f"memory: {memory['entries']:,} entries, {memory['bytes'] / 2**20:.1f} of "
                   f"{memory['max_bytes'] / 2**20:.0f} MiB, {memory['evicted']:,} evicted")  # fmt: skip
    if not data["data"]:
        click.echo("no cached workloads")
    for w in data["data"]:
        checks = w["checks"]
        semantic = "exact only"
        if w["semantic"]:
            state = "PAUSED" if w["paused"] else f"threshold {w['threshold']:g}"
            bar = "" if w["min_precision"] is None else f" (bar {w['min_precision']:.0%})"
            semantic = f"semantic {state}, precision {_pct(checks['precision'])} of {checks['checked']} checks{bar}"
        in_memory = "" if w["memory_entries"] is None else f", {w['memory_entries']:,} in memory"
        configured = "" if w["configured"] else " (not configured)"
        click.echo(f"{w['workload']}{configured}: {w['entries']:,} entries ({w['with_vector']:,} with vectors, "
                   f"{w['answer_bytes'] / 1024:.0f} KiB){in_memory}; {semantic}")  # fmt: skip


@cache_group.command("clear")
@click.option("--workload", "-w", required=True, help="The workload whose cached answers are forgotten")
@config_option
@server_options
def clear_command(workload: str, config_path: str | None, server: str | None, key: str | None) -> None:
    """Forget a workload's cached answers (with --server, that server's memory too)."""
    if server is not None:
        done = connect(server, key).delete("/api/cache/entries", {"workload": workload})
        click.echo(f"{workload}: {done['deleted']:,} stored entries deleted, {done['forgotten']:,} dropped from memory")
        return
    from rungway.caching.store import delete_namespace

    deleted = delete_namespace(open_store(config_path), workload)
    click.echo(f"{workload}: {deleted:,} stored entries deleted (running servers keep theirs in memory until they "
               "expire: clear through a server with --server to drop its memory too)")  # fmt: skip
