"""Comparing eval runs and gating on them: `eval compare`, `eval gate`, /api/eval-runs/compare and gates."""
