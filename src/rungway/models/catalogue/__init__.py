"""The model catalogue: which models exist, what they can do, what they cost, and their lifecycle.

A shipped, dated catalogue (`models/data/catalogue.json`) merged with `catalogue:` in rungway.yaml
(`load.py`), and with the approvals and status changes people record (`store.py`); the gateway reads
it from memory (`view.py`) to answer deprecated models with RFC 9745/8594 headers and refuse blocked
ones (`lifecycle.py`); owners hear of sunsets through the alerts door (`sunset.py`).
"""
