"""The prompt library's Alembic branch (`prompts`: p0001), applied with the core's at every start."""
