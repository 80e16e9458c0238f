"""Emergency safety: pure-Python detection of danger in a user message (no Rasa, no project)."""
