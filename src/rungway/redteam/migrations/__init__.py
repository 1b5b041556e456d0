"""The red-team capability's Alembic branch (`redteam`: r0001), applied with the core's at every start."""
