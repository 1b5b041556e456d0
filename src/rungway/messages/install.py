"""The Messages capability's one door: `CAPABILITY`, published in the `rungway.capabilities` group.

`install` adds the Messages dialect (`POST /v1/messages`, served by the chat pipeline) and mounts the
count_tokens route on the application (a raw route: it calls no model and touches no store).
"""

from __future__ import annotations

from rungway.capability import Capability, Host, Installed
from rungway.messages.count import PATH, count_tokens
from rungway.messages.dialect import MessagesDialect

__all__ = ["CAPABILITY", "install_messages"]


def install_messages(host: Host) -> Installed:
    host.app.router.add_post(PATH, count_tokens)
    return Installed(dialects=(MessagesDialect(),))


CAPABILITY = Capability("messages", install_messages)
