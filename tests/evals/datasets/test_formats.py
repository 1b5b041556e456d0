"""Dataset files: each format's conventions, places in errors, and the JSONL export reading back the same."""

from __future__ import annotations

import pytest

from rungway.errors import InvalidRequest
from rungway.evals.datasets.formats import format_of, parse_dataset, write_jsonl
from rungway.evals.datasets.model import content_hash
from tests.evals.support import SAMPLES


def test_every_sample_exports_to_jsonl_that_reads_back_to_the_same_content_hash() -> None:
    for sample in ("cases.jsonl", "cases.csv", "cases.yaml", "promptfooconfig.yaml"):
        parsed = parse_dataset(sample, (SAMPLES / sample).read_text())
        text = b"".join(write_jsonl(parsed.cases, parsed.default_assertions)).decode()
        again = parse_dataset("export.jsonl", text)
        assert content_hash(again.cases, again.default_assertions) == content_hash(
            parsed.cases, parsed.default_assertions
        ), sample


def test_a_case_without_a_key_is_keyed_by_its_content_the_same_way_each_time() -> None:
    one = parse_dataset("a.jsonl", '{"vars": {"q": "hi"}}\n{"vars": {"q": "bye"}}\n').cases
    two = parse_dataset("b.json", '[{"vars": {"q": "bye"}}, {"vars": {"q": "hi"}}]').cases
    assert one[0].key == two[1].key and one[1].key == two[0].key and one[0].key != one[1].key


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("c.yaml", "cases:\n  - vars: {q: 1}\n  - vars: {q: 2}\n    expected: [1\n", "c.yaml:5: not valid YAML"),
        ("c.yaml", "a: &x {q: 1}\ncases:\n  - vars: *x\n", "c.yaml:3: YAML aliases"),
        ("c.yaml", "cases:\n  - vars: {q: 1}\n\n  - vars: {q: 2}\n    tgas: [a]\n", "c.yaml:4: tgas: is not a field"),
        ("c.yaml", "tests: file://tests.csv\n", "c.yaml: tests: 'file://tests.csv' points at another file"),
        (
            "c.jsonl",
            '{"vars": {"q": 1}}\n{"defaultTest": {"assert": []}}\n',
            "c.jsonl:2: defaultTest must be the first",
        ),
        ("c.csv", "q,q\n1,2\n", "c.csv:1: column 2 is repeated"),
        ("c.csv", 'q,__expected\n"a\nb",x\nc,d,e\n', "c.csv:4: 3 cells under 2 columns"),
        ("c.txt", "", "c.txt: cannot tell the format"),
        ("c.json", '{"cases": [{"vars": {"q": 1}}], "extra": 1}', "c.json: 'extra' is not a key"),
    ],
)
def test_mistakes_name_the_file_and_line(name: str, text: str, where: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_dataset(name, text)
    assert caught.value.message.startswith(where), caught.value.message
    assert "Fix:" in caught.value.message


def test_the_format_comes_from_the_extension_unless_named() -> None:
    assert [format_of(p) for p in ("a.JSONL", "b.yml", "c.csv", "d.json")] == ["jsonl", "yaml", "csv", "json"]
    assert format_of("tests.txt", "promptfoo") == "promptfoo"
