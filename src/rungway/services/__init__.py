"""Services: use cases shared by the CLI and the management API (create a key, report usage, ...)."""
