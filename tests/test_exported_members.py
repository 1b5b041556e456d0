"""The public API is pinned (management API, CLI, services, demo, and what a plugin author imports:
the capability door, providers, counters, evidence checks, the SDK): changing it is deliberate."""

from __future__ import annotations

import importlib
import inspect

import pytest

EXPORTS = {
    "rungway.api.bodies": [
        "INSTANT",
        "NAME",
        "NO_CONTROL",
        "USD_AMOUNT",
        "BodySchema",
        "flag",
        "json_object",
        "nullable",
        "optional_str",
        "str_list",
        "text",
    ],
    "rungway.api.registry": [
        "DURATION_PATTERN",
        "LATEST_TIME",
        "NO_CONTROL",
        "TIME_PATTERN",
        "ApiRoute",
        "ApiRouter",
        "Handler",
        "QueryParam",
        "check_query",
    ],
    "rungway.api.keys": ["KEY_SCHEMA", "router"],
    "rungway.api.logs": ["LOG_ROW_SCHEMA", "USAGE_ROW_SCHEMA", "router"],
    "rungway.api.workloads": ["WORKLOAD_NAME", "WORKLOAD_SCHEMA", "router"],
    "rungway.cli.keys": ["keys_group"],
    "rungway.guardrails.public": [
        "ENTRY_POINT_GROUP",
        "AsyncDetector",
        "Detector",
        "DetectorFactory",
        "DetectorOptionError",
        "Finding",
        "JudgeClient",
        "ScanContext",
        "UnknownDetector",
        "detector",
        "detector_names",
        "redact",
        "register_detector",
        "restore",
        "scan_all",
    ],
    "rungway.cli.logs": ["logs_group", "usage_command"],
    "rungway.cli.options": [
        "AgeOption",
        "check_store_at",
        "config_option",
        "database_url",
        "format_option",
        "open_store",
    ],
    "rungway.cli.render": ["Column", "console", "emit", "fmt_ms", "fmt_time", "fmt_usd", "grouped_by"],
    "rungway.cli.workloads": ["workloads_group"],
    "rungway.demo": ["DEMO_WORKLOAD", "choose_port", "ensure_admin_key", "ensure_demo_key", "main"],
    "rungway.domain.bounds": [
        "CLEANED_TAG",
        "MAX_METADATA_PAIRS",
        "MAX_TAGS",
        "MODEL",
        "SESSION",
        "TAG_KEY",
        "TAG_VALUE",
        "USER",
        "BoundViolation",
        "CleanedText",
        "FieldBound",
        "Policy",
        "clean_text",
        "fits",
        "has_control_characters",
    ],
    "rungway.domain.otlp_values": ["set_any_value"],
    "rungway.domain.timespec": [
        "DAY",
        "HOUR",
        "MINUTE",
        "WEEK",
        "TimeSpecError",
        "parse_duration",
        "parse_instant",
        "parse_period",
        "positive_duration",
    ],
    "rungway.services.keys": [
        "KEEP",
        "MAX_ALLOWED_MODELS",
        "CreatedKey",
        "KeyChange",
        "Unchanged",
        "create_api_key",
        "describe_key",
        "find_key",
        "resolve_expiry",
        "revoke_api_key",
        "update_api_key",
    ],
    "rungway.services.logs": [
        "MAX_PAGE",
        "PROMPT_FILTER_HELP",
        "PROMPT_FILTER_PATTERN",
        "USAGE_BY",
        "LogPage",
        "UsageRow",
        "build_filter",
        "new_rows",
        "parse_prompt_filter",
        "parse_time",
        "search_logs",
        "total_of",
        "usage_report",
    ],
    "rungway.services.config_check": ["CheckedConfig", "check_config"],
    "rungway.settings.sections": ["ConfigMapping", "ConfigSection", "config_error", "tracked"],
    # What a capability's author imports: the door, its typed slots, and the interfaces beside it.
    "rungway.capability": [
        "ENTRY_POINT_GROUP",
        "STATE",
        "Attempt",
        "AttemptObserver",
        "AttemptPolicy",
        "BudgetHolder",
        "CallContext",
        "CallKey",
        "Capability",
        "ConfigSection",
        "Dialect",
        "GatewayState",
        "GuardVerdict",
        "Hook",
        "Host",
        "Installed",
        "OutputGuard",
        "PageRouter",
        "PipelineExtension",
        "RoutePlan",
        "RoutePlanner",
        "StateKey",
        "StreamGuard",
        "StreamTranslation",
        "Step",
        "load_capabilities",
        "migration_packages",
        "registered_sections",
    ],
    "rungway.gateway.slots": ["CallKey", "SlotKey", "Slots", "StateKey"],
    "rungway.alerts.public": [
        "ALERTS",
        "ALERTS_SECTION",
        "AlertEvent",
        "AlertResult",
        "AlertSettings",
        "Alerts",
        "alerts_of",
        "mask_urls",
        "masked_url",
    ],
    # What an application imports to use registry prompts.
    "rungway.sdk.prompts": ["DEFAULT_TTL_S", "PromptFetchError", "PromptHandle", "PromptLibrary", "configure", "get"],
    "rungway.providers.base": ["ChatCall", "ChatResult", "EmbedCall", "EmbedResult", "Provider", "StreamChunk"],
    "rungway.providers.registry": [
        "ProviderFactory",
        "create_provider",
        "fault_switch",
        "known_types",
        "register_provider",
    ],
    "rungway.counters.base": [
        "BudgetDenied",
        "BudgetSettle",
        "BudgetState",
        "BudgetUse",
        "Counters",
        "Denied",
        "WindowUse",
        "retry_after",
        "sliding_count",
    ],
    "rungway.counters.registry": ["CountersFactory", "create_counters", "register_counters"],
    "rungway.evidence": [
        "MEASURES",
        "NO_CALLS",
        "CheckContext",
        "CheckFn",
        "CheckOutcome",
        "CheckRequest",
        "FactsSource",
        "PromptFacts",
        "PromptFactsSource",
        "RequestFacts",
        "Verdict",
        "evidence_check",
        "load_checks",
        "pct",
        "per_workload",
        "ratio_verdict",
        "threshold_of",
        "total",
    ],
    "rungway.sdk": [
        "Span",
        "async_openai_client",
        "configure",
        "current_span",
        "flush",
        "openai_client",
        "score",
        "shutdown",
        "span",
        "trace",
        "traceparent_headers",
    ],
    "rungway.sdk.span": ["Span"],
    # Evaluation's foundations: what a scorer plugin imports, and the statistics the runner will use.
    "rungway.evals.scorers": [
        "ENTRY_POINT_GROUP",
        "Assertion",
        "CaseOutcome",
        "ChatReply",
        "ChatRequest",
        "InvalidAssertion",
        "JsonValue",
        "JudgeRecord",
        "ModelCallError",
        "ModelClient",
        "ModelScorer",
        "Sample",
        "ScoreResult",
        "Scorer",
        "ScorerContext",
        "SpecReader",
        "ToolCall",
        "case_outcome",
        "known_types",
        "score_case",
        "scorer",
        "scorer_from_spec",
    ],
    "rungway.evals.stats": [
        "Bootstrap",
        "Interval",
        "McNemar",
        "PassRate",
        "RunComparison",
        "Verdict",
        "compare_runs",
        "mcnemar_exact",
        "paired_bootstrap",
        "pass_rate",
        "wilson_interval",
    ],
    "rungway.web.pages": [
        "UI_ROOT",
        "NavLink",
        "OverviewPanel",
        "PageHandler",
        "PageRoute",
        "PageRouter",
        "PanelContext",
        "PanelRender",
        "RecordLink",
    ],
    "rungway.services.workloads": [
        "WORKLOAD_FIELDS",
        "add_workload",
        "describe_workload",
        "find_workload",
        "parse_workload_fields",
        "update_workload",
    ],
}


@pytest.mark.parametrize("module_name", sorted(EXPORTS))
def test_public_api_is_pinned(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(EXPORTS[module_name])
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ names {name}, which does not exist"


# What a plugin author or an application imports: nothing public may be defined there without being exported.
INTERFACES = [
    "rungway.capability",
    "rungway.counters.base",
    "rungway.counters.registry",
    "rungway.evals.scorers.base",
    "rungway.evals.scorers.models",
    "rungway.evals.scorers.spec",
    "rungway.evals.stats",
    "rungway.evidence",
    "rungway.gateway.slots",
    "rungway.providers.base",
    "rungway.providers.registry",
    "rungway.sdk",
    "rungway.sdk.span",
]


@pytest.mark.parametrize("module_name", INTERFACES)
def test_every_public_class_and_function_of_an_interface_is_exported(module_name: str) -> None:
    module = importlib.import_module(module_name)
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module_name
    }
    assert defined - set(module.__all__) == set(), f"{module_name} defines public names it does not export"


def test_management_routers_are_registered() -> None:
    from rungway.api.routes import routers

    assert {"keys", "workloads", "logs", "cost", "budgets", "traces", "assessment"} <= {r.tag for r in routers()}
