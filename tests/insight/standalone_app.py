"""The insight blueprint in a bare Sanic app (tests only). The user comes from test headers
(x-test-role, x-test-municipality); without x-test-role the request is anonymous.

    python -m tests.insight.standalone_app PORT TRACKER_URL DATABASE_URL
"""

from __future__ import annotations

import sys

from sanic import Sanic
from sanic.request import Request

from insight.config import InsightConfig
from insight.web import InsightUser, create_blueprint
from quartierslotse.settings import Settings

CSRF = "test-csrf-token"


def build(tracker_url: str, database_url: str) -> Sanic:
    settings = Settings(tracker_store_url=tracker_url, database_url=database_url)
    config = InsightConfig(tracker_store_url=tracker_url, database_url=database_url,
                           ingest_lag_seconds=0)

    async def authenticate(request: Request) -> InsightUser | None:
        role = request.headers.get("x-test-role")
        if not role:
            return None
        return InsightUser("Frau Verwaltung", role,
                           request.headers.get("x-test-municipality", ""), csrf_token=CSRF)

    app = Sanic("insight_test")
    app.blueprint(create_blueprint(settings, authenticate=authenticate, config=config))
    return app


if __name__ == "__main__":
    port, tracker, database = sys.argv[1:4]
    build(tracker, database).run(host="127.0.0.1", port=int(port), access_log=False, workers=1)
