"""The advisor console: a small Sanic + Jinja2 web app for the human handoff."""
