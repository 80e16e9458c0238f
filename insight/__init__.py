"""Hotline insight: anonymous statistics from Rasa's tracker store and a review queue of
misunderstood messages.

Data flow (no second logging path):

    Rasa SQL tracker store (`events`, read-only)
        └─ insight.ingest  ── incremental by event id ──►  insight_* tables (aggregates,
                                                            redacted review queue)
    handoff_* tables (tickets, callbacks; read-only)  ──►  insight.report
    insight.report ─► insight.disclosure (small-count protection) ─► web / CSV / XLSX
"""
