"""Evaluation: scorers that judge a model's output, and the statistics that compare runs.

This package is the evaluation capability-to-be (issue 20). Its two pure foundations live here now:
`scorers/` (one registry of assertion types, promptfoo's names wherever one exists, built from an
assertion spec validated at the edge) and `stats.py` (pass rates with confidence intervals, paired
significance tests, and the regression / improvement / noise verdict). Datasets, runs, the store, the
API, the CLI and `install.py` build on these; nothing outside this package imports it.
"""
