"""Traces: the gateway's llm span of every call, OTLP/HTTP ingest and export, and the trace views.

It owns the `spans` and `traces` tables (`store.py`, `search.py`, its migrations branch in
`migrations/`), the span model (`model.py`), OTLP decoding and mapping (`otlp_decode.py`,
`mapping.py`), content capping and redaction (`content.py`, `redaction.py`), admission and the
receiver (`admission.py`, `receiver.py`), export (`exporter.py`), the `tracing:` section
(`config.py`), the pipeline step (`steps.py`), `/api/traces` (`api.py`), `rungway traces`
(`cli.py`) and the span tree (`views.py`). `install.py` is its one door into the core.
"""
