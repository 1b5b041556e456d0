"""Pins: each workload's floating aliases pinned to dated snapshots, and the workload's model policy.

`config.py` (the `pinning:` section), `book.py` (the in-memory pins the gateway reads, seeded from
config, overridden by the store, refreshed in the background), `store.py` (`model_pins` and the
history in `model_pin_changes`), `resolver.py` (the planner's `ModelResolver`), `api.py`, `cli.py`,
`checks.py` (the `model_pinning` evidence).
"""
