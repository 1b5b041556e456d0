"""The models capability's Alembic branch (`models`): each slice's tables hang off the empty base m0000."""
