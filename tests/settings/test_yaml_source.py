"""Reading rungway.yaml (`settings/yaml_source.py`): values with the line of every key path, `${VAR}`
interpolation, and errors that name the file and the line."""

from __future__ import annotations

import pytest

from rungway.errors import ConfigError
from rungway.settings.sections import ConfigMapping
from rungway.settings.yaml_source import YamlSource, interpolate, load_yaml

TEXT = """\
server:
  port: 8080
models:
  gpt-4o:
    provider: openai
    aliases:
      - gpt4
      - omni
"""


def test_values_and_the_line_of_each_key_path() -> None:
    source = load_yaml("rungway.yaml", TEXT, {})
    assert source.data == {"server": {"port": 8080}, "models": {"gpt-4o": {"provider": "openai",
                                                                          "aliases": ["gpt4", "omni"]}}}  # fmt: skip
    assert isinstance(source.data["models"]["gpt-4o"], ConfigMapping)
    assert source.line_of("server.port") == 2 and source.line_of("models.gpt-4o.provider") == 5
    assert source.lines["models.gpt-4o.aliases[1]"] == 8
    assert source.line_of("models.gpt-4o.price.input") == 4  # an unset key: the line of its nearest parent
    assert source.line_of("nowhere") is None


def test_an_error_names_the_file_line_key_problem_and_fix() -> None:
    source = load_yaml("rungway.yaml", TEXT, {})
    error = source.error("server.port", "expected 1 to 65535", "write e.g. 8080")
    assert error.message == "rungway.yaml:2: server.port: expected 1 to 65535. Fix: write e.g. 8080"


@pytest.mark.parametrize(
    ("text", "env", "value"),
    [
        ("${HOST}", {"HOST": "db"}, "db"),
        ("${PORT:-5432}", {}, "5432"),
        ("${PORT:-5432}", {"PORT": ""}, "5432"),  # set but empty: the default
        ("${PORT:-}", {}, ""),
        ("postgres://${USER}@${HOST:-localhost}/x", {"USER": "me"}, "postgres://me@localhost/x"),
        ("$HOST and ${not-a-name}", {"HOST": "db"}, "$HOST and ${not-a-name}"),
    ],
)
def test_environment_variables_are_interpolated(text: str, env: dict[str, str], value: str) -> None:
    assert interpolate(text, env, "rungway.yaml", 3) == value


def test_an_unset_variable_without_default_names_it_and_the_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml("rungway.yaml", "store:\n  url: ${DATABASE_URL}\n", {})
    assert caught.value.message == (
        "rungway.yaml:2: environment variable DATABASE_URL is not set. "
        "Fix: export DATABASE_URL=... or write ${DATABASE_URL:-default}"
    )


def test_an_interpolated_value_takes_its_yaml_type_unless_quoted() -> None:
    source = load_yaml("f.yaml", "a: ${N}\nb: '${N}'\nc: ${FLAG}\n", {"N": "42", "FLAG": "true"})
    assert source.data == {"a": 42, "b": "42", "c": True}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("server:\n  port: [1,\n", "f.yaml:3: not valid YAML"),
        ("- a\n- b\n", "f.yaml:1: the top level must be a mapping of sections"),
        ("just text\n", "f.yaml:1: the top level must be a mapping"),
    ],
)
def test_a_file_that_is_not_a_mapping_of_sections_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml("f.yaml", text, {})
    assert caught.value.message.startswith(message)


def test_an_empty_file_has_every_setting_at_its_default() -> None:
    for text in ("", "# only a comment\n"):
        source = load_yaml("f.yaml", text, {})
        assert source.data == {} and source.lines == {}
    assert YamlSource.empty("g.yaml").data == {}


def test_a_plain_dict_given_by_a_caller_is_tracked_too() -> None:
    source = YamlSource("f.yaml", {"server": {"port": 1}}, {})
    assert isinstance(source.data, ConfigMapping) and isinstance(source.data["server"], ConfigMapping)
