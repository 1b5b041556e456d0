"""Legacy completions: OpenAI's `POST /v1/completions` served over the chat pipeline.

Clients and libraries written for the completions API (a `prompt` in, `text` out) still call it. This
capability is a `Dialect` (`rungway.gateway.dialect`): a prompt becomes one user message of a chat call,
so every model the gateway routes answers it, with the chat pipeline's keys, limits, budgets, guards,
spans and records; the chat answer is written back as `text_completion` objects (JSON or SSE).
"""
