"""Pure types and rules of Rungway: keys, workloads, prices, usage, request records.

Nothing here does I/O or imports a framework; every other layer may import it.
"""
