"""Planned upgrades: a workload's bound eval sets run on the pinned model and its candidate, compared per
scorer with paired tests, cost and latency, and judged against the workload's `upgrade_gate`.

`model.py` (the report and its verdict, Markdown), `store.py` (`model_upgrade_reports`), `service.py`
(the server builds a report from stored eval runs; `apply` moves the pin), `api.py`, `cli.py`
(`rungway models upgrade plan|apply|rollback|show`).
"""
