"""Spend forecasts, one capability: the next 7 and 30 days' spend per workload, team, model and user with a
calibrated interval, the date each budget runs out, and an alert when that date falls inside the budget's period.

It owns the pure model (`model.py`) and its backtest (`backtest.py`), the daily roll-up of the request log it
reads (`store.py`, `migrations/`), the use cases shared by API, CLI and pages (`service.py`), the exhaustion
alerts (`alerts.py`), its `forecasts:` section (`config.py`), routes (`api.py`), commands (`cli.py`), pages
(`pages/`) and evidence (`checks.py`); `install.py` is its one door. Budgets are read through
`rungway.budgets.public`.
"""
