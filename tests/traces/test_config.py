"""The `tracing:` section (`traces/config.py`): defaults, bounds, the export block, and errors naming the
file, line, key and fix."""

from __future__ import annotations

import pytest

from rungway.errors import ConfigError
from rungway.settings.yaml_source import load_yaml
from rungway.traces.config import TracingConfig, parse_tracing

EXPORT = "tracing:\n  export:\n    endpoint: http://c\n"


def parsed(text: str) -> TracingConfig:
    source = load_yaml("rungway.yaml", text, {})
    return parse_tracing(source.data.get("tracing"), "rungway.yaml")


def test_no_section_is_every_default() -> None:
    config = parsed("")
    assert config == TracingConfig() and config.export is None and config.retention_days is None
    assert (config.limits.max_attribute_chars, config.limits.max_span_chars) == (131_072, 1_048_576)


def test_values_and_an_export_block_are_read() -> None:
    config = parsed(
        "tracing:\n  queue_size: 10\n  retention_days: 30\n  max_attribute_chars: 300\n"
        "  export:\n    endpoint: https://collector:4318/v1/traces\n    headers: {x-api-key: s3, x-n: 5}\n"
        "    timeout_s: 2\n    gzip: false\n"
    )
    assert (config.queue_size, config.retention_days, config.limits.max_attribute_chars) == (10, 30, 300)
    assert config.export is not None
    assert (config.export.endpoint, config.export.headers, config.export.timeout_s, config.export.gzip) == (
        "https://collector:4318/v1/traces", {"x-api-key": "s3", "x-n": "5"}, 2.0, False)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tracing: 5\n", "rungway.yaml: tracing: expected a mapping, got int. Fix: write e.g. `{queue_size: 50000}`"),
        ("tracing:\n  queue_size: 0\n", "rungway.yaml:2: tracing.queue_size: expected a whole number >= 1, got 0."),
        ("tracing:\n  batch_size: true\n", "rungway.yaml:2: tracing.batch_size: expected a whole number >= 1"),
        ("tracing:\n  max_span_chars: 100\n", "tracing.max_span_chars: expected a whole number >= 1024, got 100"),
        ("tracing:\n  queue_sise: 5\n", "rungway.yaml:2: tracing.queue_sise: unknown key. Fix: did you mean"),
        ("tracing:\n  export:\n    endpoint: collector:4318\n",
         "rungway.yaml:3: tracing.export.endpoint: expected an http(s) URL, got 'collector:4318'"),
        (EXPORT + "    headers: [a]\n", "tracing.export.headers: expected a mapping"),
        (EXPORT + "    gzip: 'yes'\n", "tracing.export.gzip: expected true or false"),
        (EXPORT + "    timeout_s: 0\n", "tracing.export.timeout_s: expected a positive"),
        (EXPORT + "    timout_s: 5\n", "rungway.yaml:4: tracing.export.timout_s: unknown key. Fix: did you mean `time"),
    ],
)  # fmt: skip
def test_a_bad_value_names_the_file_line_key_and_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parsed(text)
    assert message in caught.value.message
