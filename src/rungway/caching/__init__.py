"""Caching: exact and semantic answer caches per workload, provider prompt caching priced, savings measured."""
