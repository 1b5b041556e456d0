"""The `rungway` command line: one module per command group, thin over services and the store."""
