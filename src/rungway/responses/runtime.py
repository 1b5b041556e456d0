"""Where stored responses live while the server runs: this replica's memory first, the store on a miss.

Writes go to memory at once and to the store through a `BatchWriter` (off the request path); a read that
misses memory asks the store in a worker thread. Every read is scoped to the caller's workload: a response
of another workload reads exactly as a missing one.
"""

from __future__ import annotations

import asyncio
import time

import orjson
from sqlalchemy.engine import Engine

from rungway.errors import InvalidRequest
from rungway.responses.config import ResponsesConfig
from rungway.responses.memory import ResponseMemory
from rungway.responses.model import DeletedResponse, StoredResponse
from rungway.responses.store import ResponseWrite, load_response
from rungway.store.writer import BatchWriter

__all__ = ["ResponsesRuntime"]


class ResponsesRuntime:
    """The stored responses of every workload, with the configured bounds."""

    def __init__(self, engine: Engine, config: ResponsesConfig, writer: BatchWriter[ResponseWrite]) -> None:
        self.engine = engine
        self.config = config
        self.writer = writer
        self.memory = ResponseMemory(config.memory_entries, config.retention_s)

    async def find(self, workload: str, response_id: str) -> StoredResponse | None:
        found = self.memory.get(workload, response_id)
        if found is not None or self.memory.deleted(workload, response_id):
            return found
        if not response_id.startswith("resp_") or len(response_id) > 80:
            return None
        newer_than = time.time() - self.config.retention_s
        found = await asyncio.to_thread(load_response, self.engine, workload, response_id, newer_than)
        if found is not None:
            self.memory.put(found)
        return found

    def keep(self, response: StoredResponse) -> None:
        """Keeps a finished response (memory now, the store soon) unless it is over the bounds."""
        items = len(response.input_items) + len(response.output_items)
        if items > self.config.max_items:
            return
        if len(orjson.dumps(response.input_items)) + len(orjson.dumps(response.response)) > self.config.max_bytes:
            return
        self.memory.put(response)
        self.writer.offer(response)

    def check_chain(self, previous: StoredResponse, new_items: int) -> None:
        """Refuses a conversation past the bounds before it is sent (a 400 naming previous_response_id)."""
        if previous.depth >= self.config.max_chain:
            raise InvalidRequest(
                f"This conversation links {previous.depth} responses, the most kept; start a new one.",
                param="previous_response_id",
                code="conversation_too_long",
            )
        if len(previous.input_items) + len(previous.output_items) + new_items > self.config.max_items:
            raise InvalidRequest(
                f"This conversation would hold more than {self.config.max_items} items; start a new one.",
                param="previous_response_id",
                code="conversation_too_long",
            )

    async def delete(self, workload: str, response_id: str) -> bool:
        if await self.find(workload, response_id) is None:
            return False
        self.memory.forget(workload, response_id)
        self.writer.offer(DeletedResponse(response_id, workload))
        return True
