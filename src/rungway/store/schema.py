"""The shared SQLAlchemy `metadata` and the foundation tables: workloads, API keys, request log.

Times are epoch seconds (REAL/DOUBLE) so that window queries are numeric on both databases;
money is integer nano-dollars so that sums reconcile exactly. Other aggregates define their
tables on the same `metadata` in their own modules.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

LATE_WRITE_S = 300.0
"""A request row stored more than this long after its call started is a late write (a drained backlog, a
spill replayed at the next start). Late rows alone enter `ix_requests_late`, so an aggregate over closed
hours (the assessment's hourly roll-up) finds and recounts them without scanning the log, and the writer
pays nothing for the index on the rows written on time."""
LATE_ROW = text(f"recorded_at > ts_start + {LATE_WRITE_S:g}")
WITH_PROMPT = text("prompt_name IS NOT NULL")
"""Only calls that referenced a registry prompt enter `ix_requests_prompt` (filters and reports by prompt)."""
WITH_GUARDRAIL_HITS = text("guardrails IS NOT NULL")
"""Only calls with a guardrail hit enter `ix_requests_guardrails` (the guardrails page's counts)."""
CACHE_HIT = text("cache IS NOT NULL")
"""Only calls a cache answered enter `ix_requests_cache` (savings reports read a window's hits)."""

workloads = Table(
    "workloads",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("description", Text, nullable=False, default=""),
    Column("team", String(128)),
    Column("tenant", String(128)),
    Column("risk_tier", String(32), nullable=False, default="internal"),
    Column("content_capture", String(32), nullable=False, default="full"),
    Column("retention_days", BigInteger),
    Column("rpm_limit", BigInteger),
    Column("tpm_limit", BigInteger),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("workload", String(64), nullable=False, index=True),
    Column("owner", String(256)),
    Column("role", String(16), nullable=False),
    Column("allowed_models", Text, nullable=False, default="[]"),
    Column("rpm_limit", BigInteger),
    Column("tpm_limit", BigInteger),
    Column("metadata", Text, nullable=False, default="{}"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False, index=True),
    Column("expires_at", Float),
    Column("revoked_at", Float),
    Column("kind", String(16), nullable=False, default="application", server_default="application"),  # f0067
)

requests = Table(
    "requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("ts_start", Float, nullable=False),
    Column("ts_end", Float, nullable=False),
    Column("workload", String(64)),
    Column("key_id", String(40)),
    Column("user_id", String(256)),
    Column("team", String(128)),
    Column("tags", Text, nullable=False, default="{}"),
    Column("endpoint", String(32), nullable=False),
    Column("model_requested", String(128)),
    Column("model_resolved", String(128)),
    Column("provider", String(64)),
    Column("provider_account", String(128)),
    Column("status", Integer, nullable=False),
    Column("error_type", String(64)),
    Column("error_message", Text),
    Column("stream", Boolean, nullable=False, default=False),
    Column("latency_ms", Float, nullable=False),
    Column("ttft_ms", Float),
    Column("upstream_ms", Float),
    Column("overhead_ms", Float),
    Column("tokens_in", BigInteger, nullable=False, default=0),
    Column("tokens_out", BigInteger, nullable=False, default=0),
    Column("tokens_cached", BigInteger, nullable=False, default=0),
    Column("cost_nano", BigInteger, nullable=False, default=0),
    Column("priced", Boolean, nullable=False, default=False),
    Column("trace_id", String(32)),
    Column("span_id", String(16)),
    Column("usage_anomaly", String(200)),  # set when the upstream's usage was corrected (f0065)
    Column("model_pinned", Boolean),  # the resolved route pinned its model, at call time (f0066)
    Column("user_from_request", Boolean),  # the user was sent with the call, not the key's owner (f0066)
    Column("recorded_at", Float),  # when the writer stored it (f0067); NULL for rows from before
    Column("prompt_name", String(128)),  # the registry prompt the call referenced (f0068)
    Column("prompt_version", Integer),  # and its version (f0068)
    Column("deployment", String(128)),  # the deployment that served the call or failed last (f0069)
    Column("route_rule", String(128)),  # the routing rule that chose the plan; NULL: the default route (f0069)
    Column("attempts", Integer),  # tries sent upstream (f0069)
    Column("failed_over", Boolean),  # served or failed on another deployment than the plan's first (f0069)
    Column("guardrails", String(512)),  # guardrail hits: direction:rule:action,... never a value (f0070)
    Column("cache", String(16)),  # the cache layer that answered (exact, semantic); NULL: not a hit (f0071)
    Column("cache_similarity", Float),  # a semantic hit's similarity (f0071)
    Column("cost_saved_nano", BigInteger),  # the cost of the call a hit replayed (f0071)
    Index("ix_requests_ts", "ts_start"),
    Index("ix_requests_workload_ts", "workload", "ts_start"),
    Index("ix_requests_user_ts", "user_id", "ts_start"),
    Index("ix_requests_trace", "trace_id"),
    Index("ix_requests_late", "recorded_at", sqlite_where=LATE_ROW, postgresql_where=LATE_ROW),
    Index("ix_requests_prompt", "prompt_name", "ts_start", sqlite_where=WITH_PROMPT, postgresql_where=WITH_PROMPT),
    Index(
        "ix_requests_guardrails",
        "workload",
        "ts_start",
        sqlite_where=WITH_GUARDRAIL_HITS,
        postgresql_where=WITH_GUARDRAIL_HITS,
    ),
    Index("ix_requests_cache", "workload", "ts_start", sqlite_where=CACHE_HIT, postgresql_where=CACHE_HIT),
)

# Who read the request log, usage or cost, per workload (None: an admin's read across every workload).
# The assessment counts these as evidence that logs and cost are watched, not only stored.
management_reads = Table(
    "management_reads",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("ts", Float, nullable=False),
    Column("workload", String(64)),
    Column("what", String(32), nullable=False),  # logs | usage | cost_report | budget_status | traces
    Column("via", String(8), nullable=False),  # api | cli
    Column("key_id", String(40)),
    Index("ix_management_reads_ts", "ts"),
)
