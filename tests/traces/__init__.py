"""Tests of the traces capability (rungway.traces)."""
