"""The caching capability's Alembic branch `caching`: stored answers, semantic hit checks, semantic states."""
