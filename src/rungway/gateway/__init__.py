"""The gateway: the OpenAI-compatible request pipeline.

`pipeline.py` lists the steps in order; each step is a small module here (auth, attribution,
routing, limits, upstream call, metering, recording). `state.py` holds what the steps share.
"""
