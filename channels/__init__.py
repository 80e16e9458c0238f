"""Custom Rasa input/output channels of Quartierslotse."""
