"""The benchmark instruments under bench/harness speak the real wire formats, and bench/ needs nothing outside the
repository: docs/benchmarks.md is reproducible from a clone alone."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import openai
import pytest

from tests.servers import AppServer

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "bench" / "harness"


def harness_module(name: str) -> ModuleType:
    """A bench/harness script imported as a module (they are scripts, not a package)."""
    if str(HARNESS) not in sys.path:
        sys.path.insert(0, str(HARNESS))  # otlp_load imports otlp_spans beside it
    spec = importlib.util.spec_from_file_location(f"bench_harness_{name}", HARNESS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def mock_upstream() -> Iterator[AppServer]:
    mock = harness_module("mock_upstream")
    server = AppServer(mock.make_app(mock.MockSettings(words=12)))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def floor(mock_upstream: AppServer) -> Iterator[AppServer]:
    floor_proxy = harness_module("floor_proxy")
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-mock"}
    state = floor_proxy.Floor(default_upstream=mock_upstream.base_url, routes={}, upstream_headers=headers)
    server = AppServer(floor_proxy.make_app(state))
    try:
        yield server
    finally:
        server.stop()


def chat_and_stream(client: openai.OpenAI) -> None:
    """One plain and one streamed chat completion; both carry the usage a gateway meters."""
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "why meter tokens?"}]
    plain = client.chat.completions.create(model="mock-model", messages=messages)
    assert plain.usage is not None and plain.usage.completion_tokens == 12
    assert len((plain.choices[0].message.content or "").split()) == 12
    chunks = list(
        client.chat.completions.create(
            model="mock-model", messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == plain.choices[0].message.content  # the same messages get the same reply
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == plain.usage.total_tokens


def test_mock_upstream_answers_the_official_sdk_plain_streamed_and_embeddings(mock_upstream: AppServer) -> None:
    client = openai.OpenAI(base_url=mock_upstream.base_url + "/v1", api_key="sk-mock", max_retries=0)
    chat_and_stream(client)
    embedded = client.embeddings.create(model="mock-embedding", input=["a", "b"])
    assert [len(item.embedding) for item in embedded.data] == [32, 32]
    assert [model.id for model in client.models.list()][:2] == ["mock-model", "mock-model-50"]


def test_mock_upstream_answers_an_error_a_request_asks_for(mock_upstream: AppServer) -> None:
    client = openai.OpenAI(base_url=mock_upstream.base_url + "/v1", api_key="sk-mock", max_retries=0)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "x"}], extra_headers={"x-mock-status": "429"}
        )


def test_floor_relays_and_meters_every_call_and_refuses_an_unknown_key(floor: AppServer) -> None:
    chat_and_stream(openai.OpenAI(base_url=floor.base_url + "/v1", api_key="sk-bench-1", max_retries=0))
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=floor.base_url + "/v1", api_key="sk-wrong", max_retries=0).chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "x"}]
        )
    with urllib.request.urlopen(floor.base_url + "/_stats", timeout=10) as answer:
        stats = json.loads(answer.read())
    assert stats["requests"] == 2  # the refused call is not metered
    assert stats["cost"] > 0  # both calls priced from the usage, the streamed one from its last event


def test_load_generator_sees_every_span_it_sent_stored_by_the_reference_receiver(tmp_path: Path) -> None:
    receiver = harness_module("ref_receiver")
    app = receiver.web.Application()
    app[receiver.SPANS_DB] = receiver.open_db(tmp_path / "spans.db")
    app.router.add_post("/v1/traces", receiver.receive)
    app.router.add_get("/count", receiver.count)
    server = AppServer(app)
    try:
        command = [sys.executable, str(HARNESS / "otlp_load.py"), "--url", server.base_url + "/v1/traces",
                   "--count", f"http-json:{server.base_url}/count#spans", "--spans", "400", "--batch", "100",
                   "--max-seconds", "60", "--settle-timeout", "60"]  # fmt: skip
        result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout)
    finally:
        server.stop()
    assert result["spans"] == 400 and result["visible_spans"] == 400 and result["failed_posts"] == 0
    assert 1500 <= result["bytes_per_span"] <= 1900  # realistic GenAI spans with prompts and completions


def test_bench_names_no_path_outside_the_repository_and_every_instrument_it_names_exists() -> None:
    texts = {
        path: path.read_text()
        for path in sorted((ROOT / "bench").rglob("*"))
        if path.suffix in {".py", ".sh", ".md"}
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)  # e.g. bench/evals/.node (npm)
    }
    texts[ROOT / "Makefile"] = (ROOT / "Makefile").read_text()
    texts[ROOT / "docs" / "benchmarks.md"] = (ROOT / "docs" / "benchmarks.md").read_text()
    outside = [f"{path.relative_to(ROOT)}: {match}" for path, text in texts.items()
               for match in re.findall(r"\.\./shared\S*|ROOT\.parent\b", text)]  # fmt: skip
    assert outside == []
    named = {name for text in texts.values() for name in re.findall(r"\bbench/[\w/.-]+\.(?:py|sh|lua|yaml)\b", text)}
    assert {name for name in named if not (ROOT / name).exists()} == set()


def test_mock_upstream_answers_a_body_that_is_not_a_json_object_with_a_400_in_the_openai_shape(
    mock_upstream: AppServer,
) -> None:
    request = urllib.request.Request(mock_upstream.base_url + "/v1/chat/completions", data=b"[1, 2")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"]["type"] == "invalid_request_error"
