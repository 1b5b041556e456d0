"""Eval runs: the runner (cases x repeat through the gateway, scored, streamed to a sink), the runs store,
service and /api/eval-runs, and `rungway eval run`."""
