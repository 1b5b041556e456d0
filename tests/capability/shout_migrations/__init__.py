"""The shout capability's Alembic versions: the `shout` branch (revisions s*)."""
