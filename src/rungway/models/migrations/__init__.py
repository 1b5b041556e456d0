"""The models capability's Alembic branch (`models`): one revision per slice, each after the empty base `m0000`."""
