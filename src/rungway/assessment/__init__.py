"""The maturity assessment: evidence checks over the store that place each workload on the LLMOps stages.

The model is data (`rungway/data/maturity_model.yaml`, read by `model.py`); its rules are pure
(`rungway.assessment.model`); this package owns the evidence: a registry of checks
(`@evidence_check("detailed_traces")`, `registry.py`), the built-in checks (`checks.py`, and
`unavailable.py` for features Rungway does not provide yet), the runner that combines checks,
attestations, claims and thresholds (`runner.py`), the `assessment:` configuration
(`settings.py`), report rendering (`render.py`) and the scheduled re-assessment (`schedule.py`).
"""
