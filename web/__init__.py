"""The chat widget, the demo city page and their tiny static server."""
