"""Rate-limit and budget counters behind one interface: in-process (`memory`) or shared (`redis`).

`base.py` is the interface; backends register by name in `registry.py`.
"""
