"""Providers: one module per upstream API behind the small interface in `base.py`.

Wire-format translation lives here and only here. Adapters register by `type` name through the
`rungway.providers` entry point group (built-ins use the same door as plugins); see `registry.py`.
"""
