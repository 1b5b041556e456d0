"""The Responses capability's Alembic branch (`responses`: p0001), applied with the core's at every start."""
