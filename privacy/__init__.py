"""Privacy helpers shared by all Quartierslotse components (insight, logs, exports)."""

from privacy.redaction import PLACEHOLDERS, redact, redact_value

__all__ = ["PLACEHOLDERS", "redact", "redact_value"]
