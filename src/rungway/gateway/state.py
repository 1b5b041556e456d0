"""What the pipeline steps share: configuration, providers, caches, counters, writers, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from rungway.counters.base import Counters
from rungway.domain.pricing import Price
from rungway.domain.records import RequestRecord
from rungway.gateway.directory import Directory
from rungway.gateway.metrics import GatewayMetrics
from rungway.providers.base import Provider
from rungway.settings.config import Config
from rungway.store.writer import BatchWriter


@dataclass
class GatewayState:
    """One per server process; built by `rungway.server` and handed to every step."""

    config: Config
    engine: Engine
    directory: Directory
    providers: dict[str, Provider]
    prices: dict[str, Price | None]
    counters: Counters
    request_writer: BatchWriter[RequestRecord]
    metrics: GatewayMetrics
    writers: list[BatchWriter[Any]] = field(default_factory=list)
    services: dict[str, Any] = field(default_factory=dict)
    in_flight: int = 0  # calls inside the pipeline, answered or not; tests wait for 0 before reading the store
