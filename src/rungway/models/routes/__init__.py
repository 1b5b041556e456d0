"""Routing across models: extra deployments of a public model and each workload's ordered rules
(fallback, weighted, least-latency, least-cost), chosen in memory on every call."""
