"""What other code may call of the audit trail: `record_change`, for changes made on the store directly.

The management API and the dashboard are captured by the audit capability's middleware; a CLI command that
writes the store itself (`rungway keys create`) records its change here, in the same chain.
"""

from __future__ import annotations

import getpass
import time
from typing import Any

from sqlalchemy import Engine

from rungway.audit.model import AuditRecord, RecordDraft, bounded_json
from rungway.audit.store import append_records

__all__ = ["cli_actor", "record_change"]


def cli_actor() -> str:
    """Who runs a CLI command: the operating-system user (the CLI holds the store, not a key)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid): still a CLI change
        return "cli"


def record_change(
    engine: Engine,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    workload: str | None = None,
    request: Any = None,
    before: Any = None,
    after: Any = None,
    actor: str | None = None,
    key_id: str | None = None,
    via: str = "cli",
    status: int = 200,
) -> AuditRecord:
    """Append one change to the audit chain (secrets in `request`, `before` and `after` redacted, each bounded)."""
    draft = RecordDraft(
        actor=(actor or cli_actor())[:256], via=via, action=action[:256], status=status, key_id=key_id,
        object_type=object_type, object_id=None if object_id is None else object_id[:256], workload=workload,
        request=bounded_json(request), before=bounded_json(before), after=bounded_json(after),
    )  # fmt: skip
    return append_records(engine, [draft], time.time())[0]
