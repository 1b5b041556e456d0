"""Caching at several layers: exact answers, semantically similar prompts, and the providers' prompt caches."""
