"""Guardrails: offline detectors (PII, secrets, prompt injection, blocked terms, output checks) and, later,
the gateway's input and output filter steps built on them.

Other parts of Rungway (the red-team capability, plugins) import only `rungway.guardrails.public`.
"""
