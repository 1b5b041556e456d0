"""The assessment's Alembic versions: the `assessment` branch (revisions a*)."""
