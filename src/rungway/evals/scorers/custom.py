"""Custom scorers written in Python: `type: python` with `value: "package.module:function"`.

The function takes the `Sample` and returns a `ScoreResult`, a bool (pass/fail) or a number in [0, 1]
(passes at or above `threshold`, default 0.5). It is imported when the assertion is built, so a wrong
path is refused at the edge, and only when the context allows it (`ScorerContext.allow_python`: specs
from the team's own files, never a spec sent to a server). promptfoo's inline Python and `file://`
scripts are not run: a dotted path names code the team installed and reviewed. A whole new assertion
type is a plugin instead: a module in the `rungway.scorers` entry-point group that registers a factory
with `@scorer("name")`.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable

from rungway.evals.scorers.base import Sample, Scorer, ScoreResult
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import ScorerContext, SpecReader

__all__ = ["PythonFunction", "load_function"]

_DOTTED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
ScoreFunction = Callable[[Sample], object]


def load_function(path: str) -> ScoreFunction:
    """The function a `module:function` path names; ImportError, AttributeError or TypeError when it cannot."""
    module_name, _, attribute = path.partition(":")
    function = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise TypeError(f"{path} is not callable")
    return function  # type: ignore[no-any-return]


class PythonFunction(Scorer):
    """Runs a team's function; what it returns is checked, and what it raises is an errored score."""

    def __init__(self, path: str, function: ScoreFunction, threshold: float) -> None:
        self.name = "python"
        self.path = path
        self.function = function
        self.threshold = threshold

    def score(self, sample: Sample) -> ScoreResult:
        try:
            returned = self.function(sample)
        except Exception as exc:  # noqa: BLE001 - the team's code failing is a result to record, not a crash
            return self.error(f"{self.path} raised {type(exc).__name__}: {str(exc)[:200]}")
        if isinstance(returned, ScoreResult):
            return returned
        if isinstance(returned, bool):
            return self.verdict(returned, f"{self.path} returned {returned}")
        if isinstance(returned, int | float) and math.isfinite(returned) and 0 <= returned <= 1:
            ok = returned >= self.threshold
            return self.result(float(returned), ok, f"{self.path} scored {returned:.3f}")
        return self.error(f"{self.path} returned {type(returned).__name__}: expected a ScoreResult, bool or 0..1")


@scorer("python")
def _python(spec: SpecReader, context: ScorerContext) -> Scorer:
    path = spec.text(max_chars=300)
    assert path is not None
    if not context.allow_python:
        raise spec.error(
            "type",
            "python assertions are not allowed here: a server never imports code a request names",
            "run this dataset from the CLI, or register the scorer as a plugin (rungway.scorers entry point)",
        )
    if not _DOTTED.fullmatch(path):
        raise spec.error("value", f"{path!r} is not a module:function path", "write value: my_evals.checks:is_polite")
    try:
        function = load_function(path)
    except (ImportError, AttributeError, TypeError) as exc:
        raise spec.error(
            "value", f"cannot load {path}: {exc}", "check the module is installed and names the function"
        ) from None
    return PythonFunction(path, function, spec.threshold(0.5))
