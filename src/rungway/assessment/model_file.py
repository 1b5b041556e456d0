"""Load the shipped maturity model (`rungway/data/maturity_model.yaml`) into its domain types."""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from rungway.assessment.model import MaturityModel, parse_model

MODEL_FILE = "maturity_model.yaml"


@functools.cache
def load_model() -> MaturityModel:
    """The model that ships with this version of Rungway (parsed once per process)."""
    text = resources.files("rungway.data").joinpath(MODEL_FILE).read_text()
    try:
        return parse_model(yaml.safe_load(text))
    except ValueError as exc:  # a packaging bug, not a user mistake: keep the traceback
        raise RuntimeError(f"rungway/data/{MODEL_FILE}: {exc}") from exc
