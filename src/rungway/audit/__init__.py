"""The audit trail, one capability: a tamper-evident record of every change a person or key makes.

It owns the hash chain and its verification (`chain.py`, stdlib and `cryptography` only: it is also the
`verify.py` of an export), the typed records and redaction (`model.py`), the append-only tables and their
append lock (`store.py`, `migrations/`), the checkpoint signing key (`signing.py`), the use cases shared by
API, CLI and checks (`service.py`), the capture of /api and dashboard changes (`capture.py`), its `audit:`
section (`config.py`), route (`api.py`), commands (`cli.py`) and evidence (`checks.py`); `install.py` is its
one door, and `public.py` is what other code may call (`record_change`).
"""
