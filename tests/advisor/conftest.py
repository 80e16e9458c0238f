from tests.handoff.conftest import console, console_only, make_user  # noqa: F401
