"""The management REST API under /api/: thin handlers that parse, call a service, serialise."""
