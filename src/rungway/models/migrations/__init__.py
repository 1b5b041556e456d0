"""The models capability's Alembic branch (`models`): catalogue approvals, pins, upgrades, incidents."""
