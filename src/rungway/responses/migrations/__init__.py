"""The Responses capability's Alembic branch (`responses`: resp0001), applied with the core's at every start."""
