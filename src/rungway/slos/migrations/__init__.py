"""The SLO capability's Alembic branch (`slos`)."""
