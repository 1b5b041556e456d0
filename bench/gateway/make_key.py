"""Create the benchmark's API key in the store the bench config names, print the secret.

Usage: .venv/bin/python bench/gateway/make_key.py bench/gateway/rungway-bench.yaml > KEYFILE
Migrates the store first (as the server does on start), so it may run before the server.
"""

from __future__ import annotations

import sys

from rungway.services.keys import create_api_key
from rungway.settings.config import load_config
from rungway.settings.env import read_environment
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade


def main() -> None:
    try:  # the capability door; an A/B base tree from before it migrates everything in one folder
        from rungway.capability import migration_packages, registered_sections
    except ImportError:
        config = load_config(sys.argv[1], read_environment())
        engine = create_store_engine(config.database_url)
        upgrade(engine)
    else:  # a configuration with capabilities' sections (guardrails:) parses with them
        config = load_config(sys.argv[1], read_environment(), registered_sections())
        engine = create_store_engine(config.database_url)
        upgrade(engine, migration_packages())
    created = create_api_key(engine, workload="bench", name="gateway benchmark", owner="bench")
    engine.dispose()
    print(created.secret)


if __name__ == "__main__":
    main()
