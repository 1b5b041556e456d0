"""The typed configuration of a Rungway server, parsed from rungway.yaml once at start.

Every error names the file, the line, the key path, what was expected and the fix; a key no parser
reads is refused (see `sections.py`). Provider-specific options stay a mapping here; each provider's
factory validates its own. Each capability owns top-level sections (`ConfigSection`): the caller
passes them in (`rungway.capability.registered_sections()`), they are parsed here with the core ones,
and a top-level key that is neither core nor a given section is refused, so `config check` and
`serve` accept exactly the same files.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from rungway.domain.model_ids import is_dated_snapshot
from rungway.domain.pricing import Price, PriceTable
from rungway.domain.workloads import ContentCapture, RiskTier, Workload, valid_workload_name
from rungway.errors import ConfigError
from rungway.settings.env import Environment
from rungway.settings.sections import ConfigMapping, ConfigSection
from rungway.settings.yaml_source import YamlSource, load_yaml

E = TypeVar("E", bound=Enum)
T = TypeVar("T")
DEFAULT_DATABASE_URL = "sqlite:///./rungway.db"
CORE_SECTIONS = ("server", "store", "counters", "recorder", "providers", "models", "prices", "workloads", "limits")


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

    def unknown_option(self, option: str, known: Iterable[str]) -> ConfigError:
        """An option this provider's type does not have, with the closest one it does."""
        names = sorted(known)
        close = difflib.get_close_matches(option, names, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return self.error(option, f"unknown {self.type} provider option", f"{hint}known options: {', '.join(names)}")


@dataclass(frozen=True, slots=True)
class ModelRoute:
    """A public model name and where it goes: provider, upstream model id, price.

    `pins` (computed) says whether a call resolved through this route reaches a pinned model: the
    route is marked `pinned: true` or its upstream id is a dated snapshot. The gateway records it
    on each call, so the assessment judges pinning by what was resolved then, not by today's file.
    """

    name: str
    provider: str
    upstream_model: str
    price: Price | None = None
    pinned: bool = False
    pins: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pins", self.pinned or is_dated_snapshot(self.upstream_model))


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
    parsed_sections: Mapping[str, object] = field(default_factory=dict)  # by ConfigSection name

    def section(self, key: ConfigSection[T]) -> T:
        """A capability's parsed section; its defaults when the file was read without that section known."""
        if key.name in self.parsed_sections:
            return cast(T, self.parsed_sections[key.name])
        return key.parse(None, self.source)

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


def load_config(path: str | Path, env: Environment, sections: Sequence[ConfigSection[Any]] = ()) -> Config:
    """Read and validate a configuration file: the core sections and the given capability sections."""
    path = str(path)
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file. Fix: pass --config with the path of your rungway.yaml") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}. Fix: check the path and permissions") from None
    return parse_config(load_yaml(path, text, env.variables), env, sections)


def parse_config(src: YamlSource, env: Environment, sections: Sequence[ConfigSection[Any]] = ()) -> Config:
    """The core sections and each given capability section, typed; any other top-level key is refused."""
    data = src.data
    owned = {s.name: s for s in sections}
    known = sorted({*CORE_SECTIONS, *owned})
    for key in dict.keys(data):
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise src.error(key, "unknown section", f"{hint}use one of {', '.join(known)}")
    server = _server(src, _section(src, "server"), env)
    store = _section(src, "store")
    # The file's value is read (and so validated and known) even when the environment overrides it.
    database_url = _str(src, store, "store.url", DEFAULT_DATABASE_URL)
    if "://" not in database_url:
        raise src.error(
            "store.url", f"expected a database URL, got {database_url!r}", f"write e.g. {DEFAULT_DATABASE_URL}"
        )
    database_url = env.database_url or database_url
    counters = _counters(src, _section(src, "counters"), env)
    rec = _section(src, "recorder")
    durability = _str(src, rec, "recorder.durability", "memory")
    if durability not in ("memory", "write-ahead"):
        raise src.error(
            "recorder.durability", f"unknown value {durability!r}", "write e.g. `memory` (or `write-ahead`)"
        )
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
        key_rpm=_opt_int(src, lim, "limits.key_rpm", example=60),
        key_tpm=_opt_int(src, lim, "limits.key_tpm", example=100_000),
        max_call_tokens=_int(src, lim, "limits.max_call_tokens", MAX_CALL_TOKENS, minimum=1, maximum=2**31 - 1),
    )
    parsed: dict[str, object] = {}
    for name in dict.keys(data):  # in file order, so the first mistake in the file is the one reported
        if name in owned:
            parsed[name] = owned[name].parse(data[name], src.path)
        else:
            _section(src, name).reject_unknown_keys()
    for name, section in owned.items():  # absent sections still get their (validated) defaults
        parsed.setdefault(name, section.parse(None, src.path))
    config = Config(
        source=src.path,
        server=server,
        database_url=database_url,
        counters=counters,
        recorder=recorder,
        providers=providers,
        models=models,
        prices=prices,
        workloads=workloads,
        limits=limits,
        parsed_sections=parsed,
    )
    for section in owned.values():  # what needs the whole file: each capability's cross-section checks
        if section.check is not None:
            section.check(config, parsed[section.name])
    return config


def _counters(src: YamlSource, raw: ConfigMapping, env: Environment) -> CountersConfig:
    """RUNGWAY_REDIS_URL wins: it sets the URL and turns the Redis backend on, whatever the file says."""
    backend = _str(src, raw, "counters.backend", "memory")
    if backend not in ("memory", "redis"):
        raise src.error("counters.backend", f"unknown backend {backend!r}", "write e.g. `memory` (or `redis`)")
    redis_url = _opt_str(src, raw, "counters.redis_url")
    if env.redis_url:
        backend, redis_url = "redis", env.redis_url
    if backend == "redis" and not redis_url:
        raise src.error(
            "counters.redis_url",
            "backend is redis but no URL is set",
            "write e.g. redis://127.0.0.1:6379/0 (or set RUNGWAY_REDIS_URL)",
        )
    on_error = _str(src, raw, "counters.on_error", "fail-open")
    if on_error not in ("fail-open", "fail-closed"):
        raise src.error("counters.on_error", f"unknown value {on_error!r}", "write e.g. `fail-open` (or `fail-closed`)")
    key_prefix = _str(src, raw, "counters.key_prefix", "rungway:")
    return CountersConfig(backend, redis_url, on_error == "fail-open", key_prefix, _redis_ca_file(src, raw))


def _server(src: YamlSource, raw: ConfigMapping, env: Environment) -> ServerConfig:
    admin_key = _opt_str(src, raw, "server.admin_key")
    return ServerConfig(
        host=_str(src, raw, "server.host", "127.0.0.1"),
        port=_int(src, raw, "server.port", 4000, minimum=0, maximum=65535),
        admin_key=env.admin_key or admin_key,
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
        if not isinstance(raw, ConfigMapping):
            raise src.error(key_path, "expected a mapping", "write e.g. `{type: simulator}`")
        ptype = raw.get("type")
        if not isinstance(ptype, str):
            raise src.error(key_path, "missing `type`", "add e.g. `type: simulator` (or openai, anthropic)")
        line = src.line_of(key_path)
        where = f"{src.path}:{line}" if line else src.path
        options = {k: v for k, v in raw.delegate().items() if k != "type"}  # the provider's factory checks these
        out[name] = ProviderConfig(name, ptype, options, key_path, where)
    return out


def _models(src: YamlSource, providers: dict[str, ProviderConfig]) -> dict[str, ModelRoute]:
    out: dict[str, ModelRoute] = {}
    for name, raw in _section(src, "models").items():
        key_path = f"models.{name}"
        if not isinstance(raw, dict):
            raise src.error(key_path, "expected a mapping", f"write e.g. `{{provider: {_first(providers)}}}`")
        provider = raw.get("provider")
        if not isinstance(provider, str) or provider not in providers:
            known = ", ".join(sorted(providers)) or "none defined"
            raise src.error(
                f"{key_path}.provider",
                f"unknown provider {provider!r}",
                f"write e.g. `{_first(providers)}` (a name under `providers:`: {known})",
            )
        upstream = _str(src, raw, f"{key_path}.model", name)
        price = _price(src, raw["price"], f"{key_path}.price") if "price" in raw else None
        pinned = raw.get("pinned", False)
        if not isinstance(pinned, bool):
            raise src.error(f"{key_path}.pinned", f"expected true or false, got {pinned!r}", "write e.g. true")
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
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise src.error(key_path, f"expected a mapping, got {raw!r}", "write e.g. `{team: search}` (or `{}`)")
        capture_v = _choice(src, raw, f"{key_path}.capture", ContentCapture, ContentCapture.FULL)
        tier_v = _choice(src, raw, f"{key_path}.risk_tier", RiskTier, RiskTier.INTERNAL)
        out[name] = Workload(
            name=name,
            description=_str(src, raw, f"{key_path}.description", ""),
            team=_opt_str(src, raw, f"{key_path}.team"),
            tenant=_opt_str(src, raw, f"{key_path}.tenant"),
            risk_tier=tier_v,
            content_capture=capture_v,
            retention_days=_opt_int(src, raw, f"{key_path}.retention_days", example=30),
            rpm_limit=_opt_int(src, raw, f"{key_path}.rpm", example=60),
            tpm_limit=_opt_int(src, raw, f"{key_path}.tpm", example=100_000),
        )
    return out


def _choice(src: YamlSource, raw: dict[str, Any], key_path: str, kind: type[E], default: E) -> E:
    value = _str(src, raw, key_path, default.value)
    try:
        return kind(value)
    except ValueError:
        choices = " | ".join(m.value for m in kind)
        problem = f"unknown value {value!r}, expected {choices}"
        raise src.error(key_path, problem, f"write e.g. `{default.value}`") from None


def _first(providers: dict[str, ProviderConfig]) -> str:
    return min(providers, default="sim")


def _price(src: YamlSource, raw: Any, key_path: str) -> Price:
    if not isinstance(raw, dict) or "input" not in raw or "output" not in raw:
        raise src.error(
            key_path,
            "a price needs `input` and `output`",
            "write e.g. `{input: 0.15, output: 0.60, cached_input: 0.075}` (USD per million tokens)",
        )
    cached = raw.get("cached_input")
    return Price(
        _usd(src, raw["input"], f"{key_path}.input", "0.15"),
        _usd(src, raw["output"], f"{key_path}.output", "0.60"),
        _usd(src, cached, f"{key_path}.cached_input", "0.075") if cached is not None else None,
    )


def _usd(src: YamlSource, value: Any, key_path: str, example: str) -> Decimal:
    """USD per million tokens: a finite number >= 0."""
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise src.error(
            key_path, f"expected USD per million tokens (a number >= 0), got {value!r}", f"write e.g. {example}"
        )
    return amount


def _section(src: YamlSource, name: str) -> ConfigMapping:
    value = src.data.get(name)
    if value is None:
        return ConfigMapping({}, name, src.path, src.lines)
    if not isinstance(value, ConfigMapping):
        raise src.error(name, f"expected a mapping, got {type(value).__name__}", f"indent the keys under `{name}:`")
    return value


def _str(src: YamlSource, raw: dict[str, Any], key_path: str, default: str) -> str:
    value = raw.get(key_path.rpartition(".")[2], default)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise src.error(key_path, f"expected a string, got {value!r}", f'write e.g. `"{default or "text"}"`')
    return str(value)


def _opt_str(src: YamlSource, raw: dict[str, Any], key_path: str) -> str | None:
    if raw.get(key_path.rpartition(".")[2]) is None:
        return None
    return _str(src, raw, key_path, "")


# Every whole number in the configuration lands in a 64-bit store column or counter.
INT64_MAX = 2**63 - 1


def _int(
    src: YamlSource, raw: dict[str, Any], key_path: str, default: int, minimum: int = 0, maximum: int = INT64_MAX
) -> int:
    """A whole number in [minimum, maximum]; the hint is the default, itself within the range."""
    value = raw.get(key_path.rpartition(".")[2], default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise src.error(key_path, f"expected a whole number >= {minimum}, got {value!r}", f"write e.g. {default}")
    if value > maximum:
        largest = "the largest value stored" if maximum == INT64_MAX else "the largest allowed"
        raise src.error(key_path, f"{value} is above {largest} ({maximum})", f"write e.g. {default}")
    return value


def _seconds(src: YamlSource, raw: dict[str, Any], key_path: str, default: float) -> float:
    value = raw.get(key_path.rpartition(".")[2], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 86_400:
        raise src.error(
            key_path, f"expected a number of seconds > 0 and < 86400, got {value!r}", f"write e.g. {default:g}"
        )
    return float(value)


def _opt_int(src: YamlSource, raw: dict[str, Any], key_path: str, example: int = 1) -> int | None:
    """A whole number >= 1, or absent for none; `example` (>= 1) is the value the hint suggests."""
    if raw.get(key_path.rpartition(".")[2]) is None:
        return None
    return _int(src, raw, key_path, example, minimum=1)
