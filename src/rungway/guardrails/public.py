"""What other parts of Rungway (the red-team capability) and plugins may import from guardrails: the detectors.

`Finding` and `Detector` are the interface; `detector(name, **options)` builds one from the registry (entry
points `rungway.detectors`, built-ins declared like a plugin's), `scan_all` runs several with their defaults,
and `redact`/`restore` swap findings for typed placeholders and back. A plugin registers its own detector with
`@register_detector("name")` in a module it lists under the `rungway.detectors` entry points. A detector that
needs I/O (the built-in `judge`, which asks a model) also implements `AsyncDetector.ascan(text, ScanContext)`;
the gateway awaits it on input and JSON answers and hands it a `JudgeClient`.
"""

from __future__ import annotations

from rungway.guardrails.detectors.base import (
    AsyncDetector,
    Detector,
    DetectorFactory,
    DetectorOptionError,
    Finding,
    JudgeClient,
    ScanContext,
    UnknownDetector,
)
from rungway.guardrails.detectors.redaction import redact, restore
from rungway.guardrails.detectors.registry import (
    ENTRY_POINT_GROUP,
    detector,
    detector_names,
    register_detector,
    scan_all,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "AsyncDetector",
    "Detector",
    "DetectorFactory",
    "DetectorOptionError",
    "Finding",
    "JudgeClient",
    "ScanContext",
    "UnknownDetector",
    "detector",
    "detector_names",
    "redact",
    "register_detector",
    "restore",
    "scan_all",
]
