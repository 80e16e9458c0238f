"""The import rules of ARCHITECTURE.md: imports point down, and only the allowed ones exist."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from quartierslotse.settings import PROJECT_ROOT

# room -> rooms it may import (quartierslotse.settings and storage, the floor-0 rooms, are allowed
# everywhere but in quartierslotse and storage themselves)
FLOOR_0 = {"storage"}
ALLOWED: dict[str, set[str]] = {
    "storage": set(),
    "quartierslotse": set(),
    **{room: FLOOR_0 | above for room, above in {
        "safety": set(),
        "knowledge": set(),
        "handoff": set(),
        "privacy": set(),
        "bot": {"knowledge", "safety"},
        "security": {"privacy", "safety"},
        "insight": {"privacy", "security"},
        "actions": {"bot", "handoff", "knowledge", "safety"},
        "channels": {"bot", "handoff", "insight", "knowledge", "privacy", "security"},
        "advisor": {"bot", "handoff", "insight", "knowledge", "privacy", "security"},
        "web": {"bot", "knowledge", "security"},
        "runtime": {"safety", "knowledge", "handoff", "privacy", "bot", "security", "insight",
                    "actions", "channels", "advisor", "web"},
    }.items()},
}
SETTINGS = "quartierslotse.settings"


def rooms(root: Path) -> list[str]:
    return sorted(path.name for path in root.iterdir()
                  if (path / "__init__.py").exists() and path.name != "tests")


def imported_modules(source: str) -> list[str]:
    """Absolute module names a file imports (relative imports stay inside a room)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "quartierslotse":  # "from quartierslotse import settings"
                names += [f"quartierslotse.{alias.name}" for alias in node.names]
            else:
                names.append(node.module)
    return names


def violations(root: Path) -> list[str]:
    """Every import of one room from another that ALLOWED does not permit."""
    known = rooms(root)
    found = []
    for room in known:
        for path in sorted((root / room).rglob("*.py")):
            for name in imported_modules(path.read_text(encoding="utf-8")):
                target = name.split(".")[0]
                if target not in known or name == SETTINGS or name.startswith(SETTINGS + "."):
                    continue
                if target != room and target not in ALLOWED.get(room, set()):
                    found.append(f"{path.relative_to(root)} imports {name}")
    return found


def test_every_room_has_rules_and_is_described() -> None:
    architecture = (PROJECT_ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):readme.index("## Command line")]
    for room in rooms(PROJECT_ROOT):
        assert room in ALLOWED, f"{room}/ has no import rule in ALLOWED"
        assert re.search(rf"`{room}`", architecture), f"{room}/ missing in ARCHITECTURE.md"
        assert re.search(rf"`{room}/`", layout), f"{room}/ missing in the README's layout table"
    assert set(ALLOWED) == set(rooms(PROJECT_ROOT))


def test_the_rules_have_no_cycle() -> None:
    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(ALLOWED[start])
        while todo:
            room = todo.pop()
            if room not in seen:
                seen.add(room)
                todo += ALLOWED[room]
        return seen

    assert [room for room in ALLOWED if room in reachable(room)] == []


def test_imports_follow_the_rules() -> None:
    assert violations(PROJECT_ROOT) == []


def test_settings_import_no_project_module() -> None:
    source = (PROJECT_ROOT / "quartierslotse" / "settings.py").read_text(encoding="utf-8")
    project = set(rooms(PROJECT_ROOT))
    assert [n for n in imported_modules(source) if n.split(".")[0] in project] == []


@pytest.mark.parametrize("room, planted", [
    ("knowledge", "from handoff import service\n"),
    ("privacy", "import insight.ingest\n"),
    ("actions", "from runtime import processes\n"),
    ("quartierslotse", "from runtime.topology import main\n"),
    ("storage", "from knowledge import models\n"),
])
def test_a_planted_upward_import_is_found(tmp_path: Path, room: str, planted: str) -> None:
    for name in rooms(PROJECT_ROOT):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "data", "*.gz"))
    (tmp_path / room / "planted.py").write_text(planted, encoding="utf-8")
    assert violations(tmp_path) == [f"{room}/planted.py imports {planted.split()[1]}"]
