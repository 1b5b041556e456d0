"""The `tracing:` section of rungway.yaml, parsed into a typed object.

    tracing:
      queue_size: 50000          # spans waiting for the writer; past it /v1/traces answers 503
      batch_size: 5000           # spans per database transaction
      flush_interval_ms: 50      # how long a quiet queue waits before writing (time to queryable)
      max_queue_wait_ms: 300     # /v1/traces answers 503 + Retry-After when the queue would take longer to drain
      max_attribute_chars: 131072  # longer attribute values are cut (recorded in `rungway.truncated`)
      max_span_chars: 1048576    # a span's stored attributes and events, together, at most this
      retention_days: 30         # default for workloads without their own retention_days
      purge_interval_s: 3600     # how often the server purges expired traces (0: never)
      export:                    # optional: forward every span to another OTLP/HTTP endpoint
        endpoint: http://otel-collector:4318/v1/traces
        headers: {x-honeycomb-team: "${HONEYCOMB_KEY}"}
        timeout_s: 10
        max_attempts: 5
        queue_size: 20000
        batch_size: 512
        flush_interval_ms: 1000
        gzip: true

The tracing capability registers this section (`TRACING_SECTION`); `config.section(TRACING_SECTION)` reads it.
A key this parser does not read is refused (`ConfigMapping.reject_unknown_keys`), so a new key
only needs to be read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.errors import ConfigError
from rungway.settings.sections import ConfigMapping, ConfigSection, config_error, tracked
from rungway.traces.content import ContentLimits


@dataclass(frozen=True, slots=True)
class ExportConfig:
    """Where and how spans are forwarded."""

    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 10.0
    max_attempts: int = 5
    queue_size: int = 20_000
    batch_size: int = 512
    flush_interval_ms: int = 1000
    gzip: bool = True


@dataclass(frozen=True, slots=True)
class TracingConfig:
    """Span queue sizing, content caps, retention and optional export."""

    queue_size: int = 50_000
    batch_size: int = 5_000
    flush_interval_ms: int = 50
    max_queue_wait_ms: int = 300
    limits: ContentLimits = field(default_factory=ContentLimits)
    retention_days: int | None = None
    purge_interval_s: int = 3600
    export: ExportConfig | None = None


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}

    def error(self, key_path: str, problem: str, fix: str) -> ConfigError:
        return config_error(self.source, self.lines, key_path, problem, fix)

    def mapping(self, raw: Any, key_path: str, example: str) -> ConfigMapping:
        if raw is None:
            return ConfigMapping({}, key_path, self.source, self.lines)
        if not isinstance(raw, dict):
            raise self.error(key_path, f"expected a mapping, got {type(raw).__name__}", f"write e.g. `{example}`")
        data: ConfigMapping = tracked(raw, key_path, self.source)
        self.lines = {**self.lines, **data.lines}
        return data

    def int(self, raw: dict[str, Any], key_path: str, default: int, minimum: int) -> int:
        value = raw.get(key_path.rpartition(".")[2], default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key_path, f"expected a whole number >= {minimum}, got {value!r}", f"write e.g. {default}")
        return value

    def number(self, raw: dict[str, Any], key_path: str, default: float) -> float:
        value = raw.get(key_path.rpartition(".")[2], default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.error(key_path, f"expected a positive number, got {value!r}", f"write e.g. {default}")
        return float(value)


def parse_tracing(raw: Any, source: str = "rungway.yaml") -> TracingConfig:
    """Validate `tracing:`; every error names the file, the key path and the fix."""
    r = _Reader(source)
    data = r.mapping(raw, "tracing", "{queue_size: 50000}")
    retention = data.get("retention_days")
    if retention is not None:
        retention = r.int(data, "tracing.retention_days", 30, 1)
    config = TracingConfig(
        queue_size=r.int(data, "tracing.queue_size", 50_000, 1),
        batch_size=r.int(data, "tracing.batch_size", 5_000, 1),
        flush_interval_ms=r.int(data, "tracing.flush_interval_ms", 50, 1),
        max_queue_wait_ms=r.int(data, "tracing.max_queue_wait_ms", 300, 1),
        limits=ContentLimits(
            max_attribute_chars=r.int(data, "tracing.max_attribute_chars", 131_072, 256),
            max_span_chars=r.int(data, "tracing.max_span_chars", 1_048_576, 1024),
        ),
        retention_days=retention,
        purge_interval_s=r.int(data, "tracing.purge_interval_s", 3600, 0),
        export=_export(r, data.get("export")) if data.get("export") is not None else None,
    )
    data.reject_unknown_keys()
    return config


def _export(r: _Reader, raw: Any) -> ExportConfig:
    data = r.mapping(raw, "tracing.export", "{endpoint: http://otel-collector:4318/v1/traces}")
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
        raise r.error(
            "tracing.export.endpoint",
            f"expected an http(s) URL, got {endpoint!r}",
            "write e.g. http://otel-collector:4318/v1/traces",
        )
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str | int) for v in headers.values()):
        raise r.error(
            "tracing.export.headers",
            "expected a mapping of header names to strings",
            "write e.g. `{x-api-key: secret}`",
        )
    gzip = data.get("gzip", True)
    if not isinstance(gzip, bool):
        raise r.error("tracing.export.gzip", f"expected true or false, got {gzip!r}", "write e.g. true")
    return ExportConfig(
        endpoint=endpoint,
        headers={str(k): str(v) for k, v in headers.items()},
        timeout_s=r.number(data, "tracing.export.timeout_s", 10.0),
        max_attempts=r.int(data, "tracing.export.max_attempts", 5, 1),
        queue_size=r.int(data, "tracing.export.queue_size", 20_000, 1),
        batch_size=r.int(data, "tracing.export.batch_size", 512, 1),
        flush_interval_ms=r.int(data, "tracing.export.flush_interval_ms", 1000, 1),
        gzip=gzip,
    )


TRACING_SECTION = ConfigSection("tracing", parse_tracing)
"""`tracing:` in rungway.yaml."""
