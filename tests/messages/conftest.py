"""The loopback Anthropic upstream (`tests/providers/fake_anthropic.py`) for the end-to-end tests."""

from __future__ import annotations

from tests.providers.conftest import fake_anthropic

__all__ = ["fake_anthropic"]
