"""Baseline-aware anomaly detection: per workload, each metric against its own seasonal baseline."""
