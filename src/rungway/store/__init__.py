"""The store: repositories over SQLAlchemy Core, one module per aggregate.

SQLite (WAL) by default and PostgreSQL behind the same functions. `schema.py` holds the shared
`metadata`; each aggregate module defines its tables on it; `migrations/` (Alembic, one branch
per capability) creates them; `writer.py` is the bounded queue and batch writer that keeps the
database off the request path.
"""
