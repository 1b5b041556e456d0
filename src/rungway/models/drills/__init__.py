"""Outage drills: fault a deployment for a while through its provider's fault switch and report what
the workloads saw."""
