"""The loopback OpenAI upstream (`tests/providers/fake_openai.py`, with its Responses API) for the native tests."""

from __future__ import annotations

from tests.providers.conftest import fake_openai

__all__ = ["fake_openai"]
