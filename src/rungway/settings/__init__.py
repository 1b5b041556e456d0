"""Configuration: parsed once at start into typed objects and passed in.

`env.py` is the only module that reads `os.environ`; `config.py` parses rungway.yaml.
"""
