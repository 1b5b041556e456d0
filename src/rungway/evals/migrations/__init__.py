"""The evaluation capability's Alembic branch (`evals`: e0001 datasets, e0002 scores, then the runs), applied
with the core's at every start."""
