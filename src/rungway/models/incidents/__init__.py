"""Failover records: one per incident (a deployment's circuit opened, then closed) with what callers saw."""
