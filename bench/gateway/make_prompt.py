"""Create the benchmark's registry prompt in the store the bench config names (run.sh prompt-ab).

Usage: .venv/bin/python bench/gateway/make_prompt.py bench/gateway/rungway-bench.yaml
Prompt `bench-summary` of workload `bench`, label `bench` (not protected): the same two messages as the
plain call of bench/harness/chat.lua, with the topic as a variable, and the model mock-model; so a call by
reference (`GW_PROMPT=bench-summary`) renders to exactly the plain call's messages.
"""

from __future__ import annotations

import sys

from rungway.capability import migration_packages
from rungway.prompts.config import PromptsConfig
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, move_label
from rungway.prompts.template import PromptContent
from rungway.settings.config import load_config
from rungway.settings.env import read_environment
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

CONTENT = {
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Summarise in one sentence why {{topic}}."},
    ],
    "variables": [{"name": "topic", "type": "string", "required": True}],
    "model": "mock-model",
}


def main() -> None:
    config = load_config(sys.argv[1], read_environment())
    engine = create_store_engine(config.database_url)
    upgrade(engine, migration_packages())
    actor = Actor.server_admin()
    made = create_version(
        engine,
        workload="bench",
        name="bench-summary",
        content=PromptContent.from_json(CONTENT),
        message="the gateway benchmark's prompt",
        actor=actor,
    )
    move_label(
        engine,
        PromptsConfig(),
        workload="bench",
        name="bench-summary",
        label="bench",
        version=made.version.version,
        reason="benchmark",
        actor=actor,
    )
    engine.dispose()
    print(made.version.ref)


if __name__ == "__main__":
    main()
