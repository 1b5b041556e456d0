"""The forecasts capability's Alembic branch (`forecasts`: fc0001), applied with the core's at every start."""
