"""The guardrails capability's Alembic branch (`guardrails`: g0001), applied with the core's at every start."""
