"""Configuration: parsed once at start into typed objects and passed in.

`env.py` is the only module that reads `os.environ`; `config.py` parses rungway.yaml; `sections.py`
lets each section's parser refuse the keys it never reads.
"""
