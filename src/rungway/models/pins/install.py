"""What pinning adds to a server: the pins book (loaded at start, refreshed) and the resolver the planner asks."""

from __future__ import annotations

import asyncio

from rungway.capability import Host, Installed
from rungway.models.pins.book import PinBook
from rungway.models.pins.config import PINNING_SECTION
from rungway.models.pins.ports import CatalogueLookup
from rungway.models.pins.resolver import PinResolver
from rungway.models.pins.service import PINS, PinService
from rungway.models.pins.store import PinStore

__all__ = ["install_pins"]


def install_pins(host: Host, catalogue: CatalogueLookup | None) -> tuple[PinResolver, Installed]:
    state = host.state
    pinning = state.config.section(PINNING_SECTION)
    book = PinBook(pinning, PinStore(state.engine, pinning))
    state.slots[PINS] = PinService(PinStore(state.engine, pinning), book, pinning)

    async def start_pins() -> None:
        await asyncio.to_thread(book.load)
        book.start()

    return PinResolver(catalogue, book, pinning), Installed(on_startup=[start_pins], on_cleanup=[book.stop])
