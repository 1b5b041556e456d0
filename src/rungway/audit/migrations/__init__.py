"""The audit capability's Alembic branch (`audit`: au0001), applied with the core's at every start."""
