"""SLOs with error budgets and burn-rate alerts, measured from the request log and online scores (docs/slos.md)."""
