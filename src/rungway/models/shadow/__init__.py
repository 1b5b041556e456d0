"""Shadow traffic for planned model upgrades: a sample of a workload's live calls to model A is sent to model B
in the background (its answers never returned), and each pair is measured: latency, tokens, cost and how
B's answer agrees with A's. `config.py` (`shadow:`), `book.py` (the active runs in memory), `runtime.py`
(the after-step and the shadow calls), `quality.py` (agreement measures), `store.py` (migration m0005),
`summary.py` (`summarize`, which the upgrade report includes), `api.py`, `cli.py` and `install.py`.
"""
