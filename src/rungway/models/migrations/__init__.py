"""The models capability's Alembic branch (`models`: m0000 base, m0001 approvals, ...), applied at every start."""
