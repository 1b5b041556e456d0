"""Eval bindings: datasets bound to a workload's prompt with a gate requirement, the run each new prompt version
gets on the server, and the guard that keeps a protected label off a version without a passing run."""
