"""Alerts: webhook delivery for every capability (budget thresholds, model sunsets, incidents, ...).

A small capability (`install.py`) owning the `alerts:` section. Others send through the `Alerts`
sender it puts on `state.slots[ALERTS]`, reached through `public.py`, the one module they may import.
"""
