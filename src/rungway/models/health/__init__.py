"""Deployment health from live traffic and a circuit breaker per deployment (`HealthBook`)."""
