"""The typed configuration of a Rungway server, parsed from rungway.yaml once at start.

Every error names the file, the line, the key path, what was expected and the fix.
Provider-specific options stay a mapping here; each provider's factory validates its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from rungway.domain.pricing import Price, PriceTable
from rungway.domain.workloads import ContentCapture, RiskTier, Workload, valid_workload_name
from rungway.errors import ConfigError
from rungway.settings.env import Environment
from rungway.settings.yaml_source import YamlSource, load_yaml

DEFAULT_DATABASE_URL = "sqlite:///./rungway.db"
_SECTIONS = {
    "server",
    "store",
    "counters",
    "recorder",
    "providers",
    "models",
    "prices",
    "workloads",
    "limits",
    "tracing",
    "budgets",
    "assessment",
    "alerts",
}


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """The listener: where it binds, who may read /metrics, and the bounds on client connections."""

    host: str = "127.0.0.1"
    port: int = 4000
    admin_key: str | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    metrics_key: str | None = None  # None: /metrics is open (fine on loopback; set it when exposed)
    max_connections: int = 10_000  # open client connections; past it new ones get a 503 and are closed
    max_connections_per_ip: int = 1_000
    header_timeout_s: float = 10.0  # from connecting (or a request's first byte) to its whole head
    keepalive_timeout_s: float = 75.0  # an idle keep-alive connection is closed after this


@dataclass(frozen=True, slots=True)
class CountersConfig:
    """Where rate-limit and budget counters live: `memory` (one replica) or `redis` (shared)."""

    backend: str = "memory"
    redis_url: str | None = None
    fail_open: bool = True
    key_prefix: str = "rungway:"  # several deployments (or tests) can share one Redis
    redis_ca_file: str | None = None  # CA bundle (PEM) for rediss://; None: the system trust store


@dataclass(frozen=True, slots=True)
class RecorderConfig:
    """The bounded queue and batch writer that take records off the hot path."""

    queue_size: int = 100_000
    batch_size: int = 2_000
    flush_interval_ms: int = 100
    # Records the store refused, or could not take before shutdown, go to files here (None: beside
    # the SQLite database, else ./.rungway/spill); the next start replays the unwritten ones.
    spill_dir: str | None = None
    # How long shutdown keeps writing to an unavailable store before spilling what is left.
    shutdown_grace_ms: int = 10_000
    # `memory`: a kill -9 loses what is queued; `write-ahead`: every record is fsynced to a local
    # file first (in groups, every `write_ahead_sync_ms`) and replayed after a crash.
    durability: str = "memory"
    write_ahead_sync_ms: int = 20
    # Past this size a queue's quarantine file keeps no more rows (they are still counted and logged).
    quarantine_max_bytes: int = 100 * 2**20


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One upstream: `type` picks the adapter from the registry; `options` are the adapter's own."""

    name: str
    type: str
    options: dict[str, Any]
    key_path: str
    where: str = ""

    def error(self, option: str, problem: str, fix: str) -> ConfigError:
        """An error about one of this provider's options, naming file, line and key path."""
        return ConfigError(f"{self.where}: {self.key_path}.{option}: {problem}. Fix: {fix}")


@dataclass(frozen=True, slots=True)
class ModelRoute:
    """A public model name and where it goes: provider, upstream model id, price."""

    name: str
    provider: str
    upstream_model: str
    price: Price | None = None
    pinned: bool = False


MAX_CALL_TOKENS = 2_000_000  # the most input or output tokens one call is billed for (gateway/meter.py)


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    """Default limits for keys that set none. None means unlimited."""

    key_rpm: int | None = None
    key_tpm: int | None = None
    max_call_tokens: int = MAX_CALL_TOKENS


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a Rungway server needs, validated."""

    source: str
    server: ServerConfig
    database_url: str
    counters: CountersConfig
    recorder: RecorderConfig
    providers: dict[str, ProviderConfig]
    models: dict[str, ModelRoute]
    prices: PriceTable
    workloads: dict[str, Workload]
    limits: LimitsConfig
    extra: dict[str, Any] = field(default_factory=dict)

    def price_of(self, route: ModelRoute) -> Price | None:
        return route.price or self.prices.price_of(route.upstream_model) or self.prices.price_of(route.name)


def shipped_prices() -> PriceTable:
    """The dated price table that ships inside the package."""
    raw = json.loads(resources.files("rungway.data").joinpath("prices.json").read_text())
    prices = {
        name: Price(
            Decimal(p["input"]),
            Decimal(p["output"]),
            Decimal(p["cached_input"]) if "cached_input" in p else None,
        )
        for name, p in raw["models"].items()
    }
    return PriceTable(prices, raw["as_of"])


def load_config(path: str | Path, env: Environment) -> Config:
    """Read and validate a configuration file."""
    path = str(path)
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file. Fix: pass --config with the path of your rungway.yaml") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}. Fix: check the path and permissions") from None
    return parse_config(load_yaml(path, text, env.variables), env)


def parse_config(src: YamlSource, env: Environment) -> Config:
    data = src.data
    for key in data:
        if key not in _SECTIONS:
            raise src.error(key, "unknown section", f"use one of {', '.join(sorted(_SECTIONS))}")
    server = _server(src, _section(src, "server"), env)
    store = _section(src, "store")
    database_url = env.database_url or _str(src, store, "store.url", DEFAULT_DATABASE_URL)
    counters_raw = _section(src, "counters")
    backend = _str(src, counters_raw, "counters.backend", "redis" if env.redis_url else "memory")
    if backend not in ("memory", "redis"):
        raise src.error("counters.backend", f"unknown backend {backend!r}", "use `memory` or `redis`")
    redis_url = env.redis_url or _opt_str(src, counters_raw, "counters.redis_url")
    if backend == "redis" and not redis_url:
        raise src.error(
            "counters.redis_url",
            "backend is redis but no URL is set",
            "set counters.redis_url or RUNGWAY_REDIS_URL=redis://host:6379/0",
        )
    on_error = _str(src, counters_raw, "counters.on_error", "fail-open")
    if on_error not in ("fail-open", "fail-closed"):
        raise src.error("counters.on_error", f"unknown value {on_error!r}", "use `fail-open` or `fail-closed`")
    rec = _section(src, "recorder")
    durability = _str(src, rec, "recorder.durability", "memory")
    if durability not in ("memory", "write-ahead"):
        raise src.error("recorder.durability", f"unknown value {durability!r}", "use `memory` or `write-ahead`")
    recorder = RecorderConfig(
        queue_size=_int(src, rec, "recorder.queue_size", 100_000, minimum=1),
        batch_size=_int(src, rec, "recorder.batch_size", 2_000, minimum=1),
        flush_interval_ms=_int(src, rec, "recorder.flush_interval_ms", 100, minimum=1),
        spill_dir=_opt_str(src, rec, "recorder.spill_dir"),
        shutdown_grace_ms=_int(src, rec, "recorder.shutdown_grace_ms", 10_000, minimum=0),
        durability=durability,
        write_ahead_sync_ms=_int(src, rec, "recorder.write_ahead_sync_ms", 20, minimum=1),
        quarantine_max_bytes=_int(src, rec, "recorder.quarantine_max_bytes", 100 * 2**20, minimum=0),
    )
    providers = _providers(src)
    prices = shipped_prices().with_overrides(
        {name: _price(src, raw, f"prices.{name}") for name, raw in _section(src, "prices").items()}
    )
    models = _models(src, providers)
    workloads = _workloads(src)
    lim = _section(src, "limits")
    limits = LimitsConfig(
        key_rpm=_opt_int(src, lim, "limits.key_rpm"),
        key_tpm=_opt_int(src, lim, "limits.key_tpm"),
        max_call_tokens=_int(src, lim, "limits.max_call_tokens", MAX_CALL_TOKENS, minimum=1),
    )
    if limits.max_call_tokens > 2**31 - 1:
        raise src.error("limits.max_call_tokens", "expected at most 2147483647", "write e.g. 2000000")
    extra: dict[str, Any] = {k: data[k] for k in ("tracing", "budgets", "assessment", "alerts") if k in data}
    return Config(
        source=src.path,
        server=server,
        database_url=database_url,
        counters=CountersConfig(
            backend,
            redis_url,
            on_error == "fail-open",
            _str(src, counters_raw, "counters.key_prefix", "rungway:"),
            _redis_ca_file(src, counters_raw),
        ),
        recorder=recorder,
        providers=providers,
        models=models,
        prices=prices,
        workloads=workloads,
        limits=limits,
        extra=extra,
    )


def _server(src: YamlSource, raw: dict[str, Any], env: Environment) -> ServerConfig:
    return ServerConfig(
        host=_str(src, raw, "server.host", "127.0.0.1"),
        port=_int(src, raw, "server.port", 4000, minimum=0),
        admin_key=env.admin_key or _opt_str(src, raw, "server.admin_key"),
        max_body_bytes=_int(src, raw, "server.max_body_bytes", 32 * 1024 * 1024, minimum=1024),
        metrics_key=_opt_str(src, raw, "server.metrics_key"),
        max_connections=_int(src, raw, "server.max_connections", 10_000, minimum=1),
        max_connections_per_ip=_int(src, raw, "server.max_connections_per_ip", 1_000, minimum=1),
        header_timeout_s=_seconds(src, raw, "server.header_timeout_s", 10.0),
        keepalive_timeout_s=_seconds(src, raw, "server.keepalive_timeout_s", 75.0),
    )


def _redis_ca_file(src: YamlSource, raw: dict[str, Any]) -> str | None:
    path = _opt_str(src, raw, "counters.redis_ca_file")
    if path is not None and not Path(path).is_file():
        raise src.error("counters.redis_ca_file", f"no such file: {path!r}", "give the path of a PEM CA bundle")
    return path


def _providers(src: YamlSource) -> dict[str, ProviderConfig]:
    out: dict[str, ProviderConfig] = {}
    for name, raw in _section(src, "providers").items():
        key_path = f"providers.{name}"
        if not isinstance(raw, dict):
            raise src.error(key_path, "expected a mapping", "write `type: openai` (or anthropic, simulator) under it")
        ptype = raw.get("type")
        if not isinstance(ptype, str):
            raise src.error(key_path, "missing `type`", "add `type: openai`, `type: anthropic` or `type: simulator`")
        line = src.line_of(key_path)
        where = f"{src.path}:{line}" if line else src.path
        out[name] = ProviderConfig(name, ptype, {k: v for k, v in raw.items() if k != "type"}, key_path, where)
    return out


def _models(src: YamlSource, providers: dict[str, ProviderConfig]) -> dict[str, ModelRoute]:
    out: dict[str, ModelRoute] = {}
    for name, raw in _section(src, "models").items():
        key_path = f"models.{name}"
        if not isinstance(raw, dict):
            raise src.error(key_path, "expected a mapping", "write `provider:` and `model:` under it")
        provider = raw.get("provider")
        if provider not in providers:
            known = ", ".join(sorted(providers)) or "none defined"
            raise src.error(
                f"{key_path}.provider",
                f"unknown provider {provider!r}",
                f"use one of the names under `providers:` ({known})",
            )
        upstream = _str(src, raw, f"{key_path}.model", name)
        price = _price(src, raw["price"], f"{key_path}.price") if "price" in raw else None
        pinned = bool(raw.get("pinned", False))
        out[name] = ModelRoute(name, str(provider), upstream, price, pinned)
    return out


def _workloads(src: YamlSource) -> dict[str, Workload]:
    out: dict[str, Workload] = {}
    for name, raw in _section(src, "workloads").items():
        key_path = f"workloads.{name}"
        if not valid_workload_name(name):
            raise src.error(
                key_path,
                f"invalid workload name {name!r}",
                "use lowercase letters, digits, '.', '_' or '-' (at most 63)",
            )
        raw = raw or {}
        capture = _str(src, raw, f"{key_path}.capture", "full")
        tier = _str(src, raw, f"{key_path}.risk_tier", "internal")
        try:
            capture_v, tier_v = ContentCapture(capture), RiskTier(tier)
        except ValueError:
            raise src.error(
                key_path,
                "bad capture or risk_tier",
                "capture: full|redacted|metadata-only; risk_tier: internal|customer-facing|regulated",
            ) from None
        out[name] = Workload(
            name=name,
            description=_str(src, raw, f"{key_path}.description", ""),
            team=_opt_str(src, raw, f"{key_path}.team"),
            tenant=_opt_str(src, raw, f"{key_path}.tenant"),
            risk_tier=tier_v,
            content_capture=capture_v,
            retention_days=_opt_int(src, raw, f"{key_path}.retention_days"),
            rpm_limit=_opt_int(src, raw, f"{key_path}.rpm"),
            tpm_limit=_opt_int(src, raw, f"{key_path}.tpm"),
        )
    return out


def _price(src: YamlSource, raw: Any, key_path: str) -> Price:
    if not isinstance(raw, dict) or "input" not in raw or "output" not in raw:
        raise src.error(
            key_path,
            "a price needs `input` and `output`",
            "write e.g. `{input: 0.15, output: 0.60, cached_input: 0.075}` (USD per million tokens)",
        )
    try:
        return Price(
            Decimal(str(raw["input"])),
            Decimal(str(raw["output"])),
            Decimal(str(raw["cached_input"])) if raw.get("cached_input") is not None else None,
        )
    except InvalidOperation:
        raise src.error(key_path, "prices must be numbers", "write USD per million tokens, e.g. 2.50") from None


def _section(src: YamlSource, name: str) -> dict[str, Any]:
    value = src.data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise src.error(name, f"expected a mapping, got {type(value).__name__}", f"indent the keys under `{name}:`")
    return value


def _str(src: YamlSource, raw: dict[str, Any], key_path: str, default: str) -> str:
    value = raw.get(key_path.rpartition(".")[2], default)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise src.error(key_path, f"expected a string, got {value!r}", "write a plain string value")
    return str(value)


def _opt_str(src: YamlSource, raw: dict[str, Any], key_path: str) -> str | None:
    if raw.get(key_path.rpartition(".")[2]) is None:
        return None
    return _str(src, raw, key_path, "")


# Every whole number in the configuration lands in a 64-bit store column or counter.
INT64_MAX = 2**63 - 1


def _int(src: YamlSource, raw: dict[str, Any], key_path: str, default: int, minimum: int = 0) -> int:
    value = raw.get(key_path.rpartition(".")[2], default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise src.error(key_path, f"expected a whole number >= {minimum}, got {value!r}", f"write e.g. {default}")
    if value > INT64_MAX:
        raise src.error(
            key_path, f"{value} is above the largest value stored ({INT64_MAX})", f"write at most {INT64_MAX}"
        )
    return value


def _seconds(src: YamlSource, raw: dict[str, Any], key_path: str, default: float) -> float:
    value = raw.get(key_path.rpartition(".")[2], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 86_400:
        raise src.error(
            key_path, f"expected a number of seconds > 0 and < 86400, got {value!r}", f"write e.g. {default:g}"
        )
    return float(value)


def _opt_int(src: YamlSource, raw: dict[str, Any], key_path: str) -> int | None:
    if raw.get(key_path.rpartition(".")[2]) is None:
        return None
    return _int(src, raw, key_path, 0, minimum=1)
