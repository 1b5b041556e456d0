"""Telemetry: spans, OTLP ingest and export."""
