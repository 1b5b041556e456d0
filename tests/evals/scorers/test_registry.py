"""The scorer registry: built-ins and plugins through one door, `not-` on any type, unknown types refused."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from rungway.evals.scorers import (
    InvalidAssertion,
    Sample,
    Scorer,
    ScorerContext,
    ScoreResult,
    SpecReader,
    known_types,
    scorer,
    scorer_from_spec,
)
from tests.evals.scorers.support import build, judge

PROMPTFOO_TYPES = [
    "equals", "contains", "icontains", "contains-any", "contains-all", "icontains-any", "icontains-all",
    "regex", "starts-with", "is-json", "contains-json", "is-valid-openai-tools-call", "latency", "cost",
    "rouge-n", "levenshtein", "similar", "llm-rubric", "python", "word-count", "tool-call-f1",
]  # fmt: skip


def test_every_promptfoo_type_the_issue_names_is_known() -> None:
    assert sorted(set(PROMPTFOO_TYPES) - set(known_types())) == []


def test_every_built_in_type_is_in_the_reference_and_declared_as_an_entry_point() -> None:
    root = Path(__file__).resolve().parents[3]
    reference = (root / "docs" / "evals.md").read_text()
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["entry-points"]["rungway.scorers"]
    built_in = {t for t in known_types() if t != "ends-with-test"}
    assert sorted(t for t in built_in if f"`{t}`" not in reference) == []
    assert sorted(built_in - set(declared)) == []


class EndsWith(Scorer):
    """A plugin scorer, registered through the public decorator."""

    def __init__(self, suffix: str) -> None:
        self.name = "ends-with-test"
        self.suffix = suffix

    def score(self, sample: Sample) -> ScoreResult:
        return self.verdict(sample.output.endswith(self.suffix), "checked the ending")


@scorer("ends-with-test")
def _ends_with(spec: SpecReader, context: ScorerContext) -> Scorer:
    text = spec.text()
    assert text is not None
    return EndsWith(text)


def test_a_scorer_registered_with_the_decorator_is_built_from_a_spec_and_negated() -> None:
    assert "ends-with-test" in known_types()
    assert judge({"type": "ends-with-test", "value": "!"}, "Hello!").passed
    negated = judge({"type": "not-ends-with-test", "value": "!"}, "Hello!")
    assert not negated.passed and negated.scorer == "not-ends-with-test" and negated.value == 0.0
    with pytest.raises(InvalidAssertion, match=r"value: is missing"):
        build({"type": "ends-with-test"})


def test_weight_and_metric_are_read_and_checked() -> None:
    assertion = build({"type": "contains", "value": "x", "weight": 2.5, "metric": "grounded"})
    assert (assertion.type, assertion.weight, assertion.metric) == ("contains", 2.5, "grounded")
    assert build({"type": "not-contains", "value": "x"}).metric == "not-contains"
    with pytest.raises(InvalidAssertion, match=r"weight: -1 is out of range"):
        build({"type": "contains", "value": "x", "weight": -1})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "containz", "value": "x"}, r"type: unknown assertion type 'containz'.*did you mean 'contains'"),
        ({"type": "not-nonesuch-at-all"}, r"unknown assertion type 'not-nonesuch-at-all'"),
        ({"value": "x"}, r"type: expected an assertion type name"),
        ({"type": 3}, r"type: expected an assertion type name"),
        ({"type": "x" * 300}, r"type: expected an assertion type name"),
    ],
)
def test_unknown_or_missing_types_are_refused_naming_where(spec: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidAssertion, match=message) as caught:
        build(spec)
    assert str(caught.value).startswith("cases.yaml:3 (case 'c1') assert[0]")


def test_a_spec_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidAssertion, match=r"expected a mapping with a `type`"):
        scorer_from_spec(["contains"], where="api body assert[2]")  # type: ignore[arg-type]


def test_model_graded_types_need_a_model_client_and_a_model() -> None:
    with pytest.raises(InvalidAssertion, match=r"type: this assertion calls a model and no model client"):
        build({"type": "llm-rubric", "value": "is polite", "model": "gpt-4o-mini"})
    with pytest.raises(InvalidAssertion, match=r"model: no judge model is set"):
        build({"type": "llm-rubric", "value": "is polite"})


def test_a_plugin_scorer_published_under_the_entry_point_group_is_loaded(tmp_path: Path) -> None:
    (tmp_path / "shout_scorer.py").write_text(
        textwrap.dedent(
            """
            from rungway.evals.scorers import Scorer, scorer

            class Shouted(Scorer):
                name = "shouted"
                def score(self, sample):
                    return self.verdict(sample.output.isupper(), "upper?")

            @scorer("shouted")
            def build(spec, context):
                spec.no_threshold()
                return Shouted()
            """
        )
    )
    dist = tmp_path / "shout_scorer-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-scorer\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[rungway.scorers]\nshouted = shout_scorer\n")
    code = (
        "import sys\n"
        "from rungway.evals.scorers import Sample, known_types, scorer_from_spec\n"
        "assert 'shout_scorer' not in sys.modules\n"
        "assert 'shouted' in known_types()\n"
        "a = scorer_from_spec({'type': 'not-shouted'}, where='plugin test')\n"
        "print(a.scorer.score(Sample('HELLO')).passed, a.scorer.score(Sample('hello')).passed)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(tmp_path)}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


def test_importing_the_registry_imports_no_scorer_module_or_library() -> None:
    code = (
        "import sys, rungway.evals.scorers\n"
        "loaded = [m for m in ('rapidfuzz', 'regex', 'jsonschema_rs', 'aiohttp', 'rungway.evals.scorers.text',"
        " 'rungway.evals.scorers.judge') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
