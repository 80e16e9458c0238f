"""Quartierslotse: shared settings, NLP pipeline builder and process orchestration."""
