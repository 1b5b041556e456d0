"""The maturity assessment capability: place each workload on the LLMOps stages from evidence.

It owns: the model's types and pure rules (`model.py`; the model itself is data,
`rungway/data/maturity_model.yaml`, read by `model_file.py`), the hourly roll-up of request
facts (`facts.py`), its tables and their `assessment` migrations branch (`store.py`,
`migrations/`), the runner that combines checks, attestations, claims and thresholds
(`runner.py`), the use cases (`service.py`), the `assessment:` section (`config.py`), report
rendering (`render.py`), the scheduled re-assessment (`schedule.py`), `/api/assessment*`
(`api.py`), `rungway assess` (`cli.py`) and its door (`install.py`). The evidence-check
interface it runs is core (`rungway.evidence`); the built-in checks still gathered in
`checks.py` and `unavailable.py` register there like any capability's.
"""
