"""The simulator: a built-in offline provider for demos, tests, load tests and outage drills.

It is not a model. It answers in the OpenAI wire format with deterministic output for a given
input and seed, tool calls when tools are offered, JSON valid against a given `json_schema`,
`n` choices, `stop` and `max_tokens`, streaming with usage, embeddings whose cosine follows the words
two texts share (`embedding.py`); and it can be told to be slow, flaky or down (latency distribution,
tokens per second, error rate, outage windows).
"""

from rungway.providers.simulator.provider import SimulatorProvider

__all__ = ["SimulatorProvider"]
