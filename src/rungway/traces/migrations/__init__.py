"""The traces capability's Alembic versions (branch label `traces`, revisions t*); applied with the core's."""
