"""Rungway: an open-source LLMOps platform.

An OpenAI-compatible gateway that authenticates, prices, rate-limits, traces and logs every call,
a store that holds the evidence, and a maturity assessment computed from that evidence.
"""

__version__ = "0.1.0"
