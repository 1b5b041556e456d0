"""The detector family: one small interface (`base.py`), a registry filled through the `rungway.detectors`
entry points (`registry.py`), typed-placeholder redaction (`redaction.py`) and one module per built-in.

Every detector is pure Python on the CPU with bounded time on bounded input, so the gateway can run all of
them on each request; the built-ins ship their data (pattern sets) inside the package.
"""
