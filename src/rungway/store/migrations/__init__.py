"""Alembic migrations, one branch per capability (foundation, traces, budgets, assessment, ...)."""
