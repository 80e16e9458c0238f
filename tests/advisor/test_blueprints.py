"""The console is one blueprint per resource: no blueprint reaches back into advisor.app
(it gets what it needs from its factory, advisor.deps.Deps), and the URLs stay the same."""

from __future__ import annotations

import ast
from pathlib import Path

from advisor.app import create_app
from quartierslotse.settings import PROJECT_ROOT, Settings, get_settings

ADVISOR = PROJECT_ROOT / "advisor"
ENTRY_POINTS = {"app.py", "__main__.py"}  # __main__ starts the app

ROUTES = {
    ("GET", ""), ("POST", "duty"), ("GET", "api/queue"),
    ("GET", "tickets/<ticket_id:int>"), ("POST", "tickets/<ticket_id:int>/claim"),
    ("POST", "tickets/<ticket_id:int>/notes"), ("POST", "tickets/<ticket_id:int>/close"),
    ("GET", "api/tickets/<ticket_id:int>/transcript"),
    ("POST", "api/tickets/<ticket_id:int>/reply"),
    ("GET", "login"), ("POST", "login"), ("POST", "logout"),
    ("POST", "canned"),
    ("GET", "callbacks"), ("POST", "callbacks/<callback_id:int>/status"),
    ("POST", "callbacks/<callback_id:int>/delete"),
    ("GET", "audit"),
    ("GET", "ohne-kommune"), ("POST", "ohne-kommune/<kind:str>/<item_id:int>"),
    ("GET", "offices"), ("GET", "offices/<municipality_key:str>/<office_key:str>"),
    ("POST", "offices/<municipality_key:str>/<office_key:str>"),
    ("POST", "offices/<municipality_key:str>/<office_key:str>/undo/<revision_id:int>"),
    ("POST", "offices/<municipality_key:str>/notices"),
    ("GET", "pruefung"), ("GET", "antwortkatalog"),
    ("GET", "insight"), ("GET", "insight/export.csv"), ("GET", "insight/export.xlsx"),
    ("GET", "insight/review"), ("POST", "insight/review/<item_id:int>"),
    ("GET", "insight/review/export.yml"),
    ("GET", "insight/static/<__file_uri__:path>"), ("HEAD", "insight/static/<__file_uri__:path>"),
    ("GET", "static/<__file_uri__:path>"), ("HEAD", "static/<__file_uri__:path>"),
    ("GET", "health"),
}


def imports_app(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import) and any(a.name == "advisor.app" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module == "advisor.app" or (
                node.module == "advisor" and any(a.name == "app" for a in node.names))):
            return True
    return False


def test_no_blueprint_imports_the_app() -> None:
    offenders = [path.name for path in sorted(ADVISOR.glob("*.py"))
                 if path.name not in ENTRY_POINTS and imports_app(path)]
    assert offenders == []


def test_the_check_sees_a_reach_back(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("from advisor import app\n")
    assert imports_app(planted)


def test_every_url_and_method_stays(tmp_path: Path) -> None:
    base = get_settings()
    settings = Settings(var_dir=tmp_path, spacy_model_path=base.spacy_model_path,
                        model_dir=base.model_dir)
    app = create_app(settings, name="console_routes_test")
    routes = {(method, route.path) for route in app.router.routes for method in route.methods}
    assert routes == ROUTES
