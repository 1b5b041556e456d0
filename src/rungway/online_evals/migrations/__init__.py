"""The online-evaluation capability's Alembic branch (`online_evals`: o0001), applied with the core's at every start."""
