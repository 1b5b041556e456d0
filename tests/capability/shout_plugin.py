"""A third-party capability, as small as one can be.

It owns a `shout:` section, refuses calls that contain its banned word and counts those it lets
through (a pipeline step before the upstream call, keeping its count in a typed state slot), and
serves the count at `GET /api/shout`; its evidence check (`shout_checks.py`) loads with the
assessment's, and its Alembic branch (`shout_migrations/`) runs with the core's. It is registered
through an entry point made at test time, never named in Rungway's code."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from rungway.api.registry import ApiRouter
from rungway.capability import (
    STATE,
    CallContext,
    Capability,
    ConfigSection,
    GatewayState,
    Host,
    Installed,
    PipelineExtension,
    StateKey,
)
from rungway.domain.keys import Role
from rungway.errors import ConfigError, InvalidRequest
from rungway.gateway.responses import json_response
from rungway.settings.sections import ConfigMapping, tracked


@dataclass(frozen=True)
class ShoutSettings:
    banned_word: str = "whisper"


@dataclass
class ShoutCount:
    let_through: int = 0


def parse_shout(section: object, source: str) -> ShoutSettings:
    raw = tracked({} if section is None else section, "shout", source)
    if not isinstance(raw, ConfigMapping):
        raise ConfigError(f"{source}: shout: expected a mapping. Fix: indent `banned_word:` under it")
    word = raw.get("banned_word", "whisper")
    if not isinstance(word, str) or not word:
        raise raw.error("shout.banned_word", f"expected a word, got {word!r}", "write e.g. whisper")
    raw.reject_unknown_keys()
    return ShoutSettings(word)


SHOUT_SECTION = ConfigSection("shout", parse_shout)
COUNT = StateKey[ShoutCount]("shout.count")
router = ApiRouter("shout")


@router.route("GET", "/api/shout", summary="How many calls the shout capability let through", role=Role.VIEWER)
async def shout_count(request: web.Request) -> web.StreamResponse:
    return json_response({"let_through": request.app[STATE].slots[COUNT].let_through})


def install(host: Host) -> Installed:
    settings = host.state.config.section(SHOUT_SECTION)
    host.state.slots[COUNT] = ShoutCount()

    async def refuse_banned(state: GatewayState, ctx: CallContext) -> None:
        if settings.banned_word in str(ctx.body.get("messages", "")):
            raise InvalidRequest(f"shout refuses the word {settings.banned_word!r}", param="messages")
        state.slots[COUNT].let_through += 1

    return Installed(pipeline=[PipelineExtension("shout", before_call=[refuse_banned])])


SHOUT = Capability(
    name="shout",
    install=install,
    sections=(SHOUT_SECTION,),
    routers=(router,),
    checks=("tests.capability.shout_checks",),
    migrations="tests.capability.shout_migrations",
)
