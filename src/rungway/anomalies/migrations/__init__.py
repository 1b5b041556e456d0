"""The anomalies capability's Alembic branch (`anomalies`: an0001), applied with the core's at every start."""
