"""Budgets and cost attribution, one capability: spend limits on workloads, users, keys and teams, held
before each call and settled after it, threshold alerts, and the cost reports over the request log.

It owns its model (`model.py`), tables and migrations branch (`store.py`, `migrations/`), the in-memory
book and its `budgets:` section (`book.py`), threshold alerts through rungway.alerts (`alerts.py`), the use cases
shared by API and CLI (`service.py`, `cost.py`), the pipeline's budget holds (`steps.py`), its routes
(`api.py`, `cost_api.py`) and commands (`cli.py`, `cost_cli.py`); `install.py` is its one door.
The counters' hold/settle mechanics it rests on stay in the core (`rungway.counters`).
"""
