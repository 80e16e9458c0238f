"""Custom actions of Quartierslotse (rasa-sdk), one module per concern."""
