"""The budgets capability's Alembic branch (`budgets`: b0001, b0002, b0064), applied with the core's at every start.

The revision ids, branch label and down-revisions are those the databases already record.
"""
