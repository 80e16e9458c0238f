"""Build-time rendering: bot/responses/<topic>.yml (templates with {{fact.keys}}) ->
bot/domain/<topic>.yml, the file Rasa reads. `quartierslotse answers build [--check]`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.content import facts as facts_module
from quartierslotse.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "bot" / "responses"
DOMAIN_DIR = PROJECT_ROOT / "bot" / "domain"
RESPONSE_KEY = re.compile(r"^  (utter_[\w/]+):\s*$")
HEADER = ("# GENERATED from bot/responses/{name} and bot/facts.yml by "
          "`quartierslotse answers build` - do not edit.\n")


def templates() -> list[Path]:
    return sorted(TEMPLATES_DIR.glob("*.yml"))


def render_template(text: str, data: dict[str, Any] | None = None) -> str:
    """Render line by line, so {{stand}} knows the response it belongs to."""
    lines, current = [], None
    for line in text.splitlines(keepends=True):
        match = RESPONSE_KEY.match(line)
        if match:
            current = match.group(1)
        lines.append(facts_module.render(line, current, data))
    return "".join(lines)


def rendered(template: Path, data: dict[str, Any] | None = None) -> str:
    return HEADER.format(name=template.name) + render_template(
        template.read_text(encoding="utf-8"), data)


def template_responses(template: Path) -> dict[str, list[dict[str, Any]]]:
    """The responses of one template (texts with their placeholders)."""
    return dict((yaml.safe_load(template.read_text(encoding="utf-8")) or {}).get("responses")
                or {})


def used_keys(response: str) -> list[str]:
    """Fact keys an answer uses: its placeholders, or those listed in the answers section."""
    stamp = tuple((str(path), path.stat().st_mtime_ns) for path in templates())
    keys = list(_placeholder_keys(stamp).get(response, []))
    for key in facts_module.answers().get(response, {}).get("facts") or []:
        if key not in keys:
            keys.append(key)
    return keys


@lru_cache(maxsize=2)
def _placeholder_keys(stamp: tuple[tuple[str, int], ...]) -> dict[str, list[str]]:
    """Each response's fact placeholders, all templates read once per version of the files
    (`stamp`: their paths and modification times)."""
    found: dict[str, list[str]] = {}
    for path, _ in stamp:
        for response, variations in template_responses(Path(path)).items():
            keys = found.setdefault(response, [])
            for variation in variations:
                for fact in facts_module.fact_keys(yaml.safe_dump(variation, allow_unicode=True)):
                    if fact not in keys:
                        keys.append(fact)
    return found


def stale() -> list[Path]:
    """Domain files that differ from their rendered template."""
    out = []
    for template in templates():
        target = DOMAIN_DIR / template.name
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != rendered(template):
            out.append(target)
    return out


def build(check: bool = False) -> int:
    if check:
        outdated = stale()
        for path in outdated:
            print(f"veraltet: {path.relative_to(PROJECT_ROOT)} "
                  "(bitte `quartierslotse answers build` ausführen)")
        return 1 if outdated else 0
    for template in templates():
        target = DOMAIN_DIR / template.name
        target.write_text(rendered(template), encoding="utf-8")
        print(f"geschrieben: {target.relative_to(PROJECT_ROOT)}")
    return 0
