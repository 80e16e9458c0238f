"""Custom Rasa NLU graph components of Quartierslotse."""
