"""The prompt library: versioned prompts with labels and review, rendered by the gateway and the SDK.

`template.py` is the pure core (content, variables, rendering), re-exported for the SDK and other
capabilities by `public.py`; the rest (store, service, catalog, API, CLI, pages, checks) joins
Rungway through `install.py`'s `CAPABILITY`.
"""
