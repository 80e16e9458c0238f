"""Insight configuration, taken from quartierslotse.settings (env vars QL_INSIGHT_*)."""

from __future__ import annotations

from dataclasses import dataclass, field

from quartierslotse.settings import Settings, get_settings


@dataclass(frozen=True)
class InsightConfig:
    tracker_store_url: str
    database_url: str  # insight tables + handoff tables (read)
    knowledge_url: str = ""  # knowledge base (municipality and office names); "" = database_url
    timezone: str = "Europe/Berlin"
    low_confidence: float = 0.5  # messages below this NLU confidence count as "not understood"
    min_count: int = 5  # cells below are shown as "<5"
    rounding_base: int = 5  # all other counts are rounded to this base
    ingest_lag_seconds: int = 60  # events younger than this are left for the next run
    salt: str = ""  # salt for sender pseudonyms; empty: random, kept in insight_state
    municipality_slots: tuple[str, ...] = ("municipality",)
    # "last_office" = "<municipality key>/<office key>" (set by the office actions)
    office_slots: tuple[str, ...] = ("last_office", "office_area", "office_name", "office")
    fallback_actions: tuple[str, ...] = ("action_default_fallback", "action_two_stage_fallback")
    handoff_actions: dict[str, str] = field(default_factory=lambda: {
        "action_request_human": "request",
        "action_emergency_handoff": "emergency",
        "action_handoff": "request",
    })

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> InsightConfig:
        s = settings or get_settings()
        return cls(
            tracker_store_url=s.tracker_store_url,
            database_url=getattr(s, "insight_database_url", "") or s.database_url,
            knowledge_url=s.database_url,
            timezone=s.timezone,
            low_confidence=getattr(s, "insight_low_confidence_percent", 50) / 100.0,
            min_count=getattr(s, "insight_min_count", 5),
            rounding_base=getattr(s, "insight_rounding_base", 5),
            ingest_lag_seconds=getattr(s, "insight_ingest_lag_seconds", 60),
            salt=getattr(s, "insight_salt", ""),
        )
