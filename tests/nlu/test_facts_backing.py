"""Every figure a user can see comes from bot/facts.yml - checked in its context (a euro
amount against the euro facts, a phone number as a number, a § with its law), in every
place: domain responses, response templates, texts the Python code builds, the widget,
Telegram and the fallback hotline. Each place has a negative case: a planted figure fails."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest
import yaml

from actions import office_messages
from actions.answers import AMOUNTS_DOMAIN, load_facts, render_amounts_domain
from bot.content import build, figures, texts
from bot.content import facts as facts_module
from channels import action_guard
from quartierslotse.settings import PROJECT_ROOT

DOMAIN_FILES = sorted((PROJECT_ROOT / "bot" / "domain").glob("*.yml"))
PYTHON_SOURCES = [*sorted((PROJECT_ROOT / "actions").glob("*.py")),
                  PROJECT_ROOT / "channels" / "action_guard.py",
                  PROJECT_ROOT / "web" / "server.py"]
TELEGRAM = PROJECT_ROOT / "channels" / "telegram.py"
WIDGET_JS = PROJECT_ROOT / "web" / "widget" / "quartierslotse.js"
DEMO_PAGE = PROJECT_ROOT / "web" / "demo" / "index.html"
# unconfirmed in reference/facts.md: never quoted
UNCONFIRMED = [r"13,00\s?(€|Euro)", r"20,50\s?(€|Euro)", r"4\.000\s?(€|Euro)", r"\d+\s?%",
               r"\d+\s?Prozent"]


def domain_texts() -> list[tuple[str, str]]:
    return [(f"{path.name}:{name}", text) for path in DOMAIN_FILES
            for name, text in figures.response_texts(path)]


def python_texts() -> list[str]:
    """Texts the Python code builds at run time from the facts."""
    return [*(texts.text(name) for name in texts.TEMPLATES), office_messages.PFLEGETELEFON_LINE,
            office_messages.give_up_text(None)]


# ---- the check itself, in context ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Bei Pflegegrad 3 gibt es 599 Euro Pflegegeld im Monat.",
    "Silbernetz: 0800 4 70 80 90, täglich 8 bis 22 Uhr.",
    "Stand: 1. Januar 2025 · Quelle: § 37 SGB XI i. V. m. Bekanntmachung nach § 30 Abs. 2 SGB XI",
    "Die Frist ist 1 Monat.", "bis zu 8 Wochen im Jahr", "Rufen Sie sofort 112 an.",
    "Geben Sie die Nummer ein, zum Beispiel 0231 123456.",
])
def test_backed_figures_pass(text: str) -> None:
    assert figures.unbacked(text) == []


@pytest.mark.parametrize("text,figure", [
    ("Sie bekommen 40 Euro im Monat.", "40 Euro"),
    ("Es gibt 599 Wochen Urlaub.", "599 Wochen"),            # a real amount, wrong unit
    ("Die Frist ist 2 Monate.", "2 Monate"),
    ("Silbernetz: 0800 4 70 80 91.", "0800 4 70 80 91"),     # one digit off
    ("Rufen Sie 0800 999 999 an.", "0800 999 999"),
    ("Quelle: § 1820 Abs. 3 BGB", "§ 1820 Abs. 3 BGB"),      # backed paragraph, wrong Absatz
    ("Quelle: § 18 BGB", "§ 18 BGB"),                        # backed number, wrong law
    ("täglich 7 bis 22 Uhr", "7 bis 22 Uhr"),
    ("Stand: 3. März 2024", "3. März 2024"),
    ("Es gibt 17 Pflegeberater.", "17 Pflegeberater"),
])
def test_unbacked_figures_fail_in_context(text: str, figure: str) -> None:
    assert figure in figures.unbacked(text)


# ---- place 1: domain responses (all files Rasa reads) -----------------------------------------

@pytest.mark.parametrize("name,text", domain_texts())
def test_every_figure_in_every_response_is_backed(name: str, text: str) -> None:
    assert figures.unbacked(text) == [], f"{name}: figures not backed by bot/facts.yml"


def test_a_planted_figure_in_a_response_fails(tmp_path: Path) -> None:
    planted = tmp_path / "wohnen.yml"
    data = yaml.safe_load((PROJECT_ROOT / "bot" / "domain" / "wohnen.yml").read_text())
    data["responses"]["utter_ask_wohnen/hausnotruf"][0]["text"] += "\nDas kostet 40 Euro."
    planted.write_text(yaml.safe_dump(data, allow_unicode=True))
    problems = [p for _, text in figures.response_texts(planted) for p in figures.unbacked(text)]
    assert problems == ["40 Euro"]


# ---- place 2: response templates (figures only by key, never typed) ---------------------------

@pytest.mark.parametrize("template", build.templates(), ids=lambda p: p.name)
def test_templates_type_no_figure(template: Path) -> None:
    typed = [(line.strip(), figures.typed_figures(line))
             for line in figures.template_lines(template) if figures.typed_figures(line)]
    assert typed == [], f"{template.name}: use {{{{fact.key}}}} instead of typing figures"


def test_a_figure_typed_into_a_template_fails(tmp_path: Path) -> None:
    planted = tmp_path / "wohnen.yml"
    shutil.copy(PROJECT_ROOT / "bot" / "responses" / "wohnen.yml", planted)
    planted.write_text(planted.read_text().replace(
        "{{pflege.hausnotruf.monthly}} Euro", "25,50 Euro"))
    assert ["25,50"] in [figures.typed_figures(line) for line in figures.template_lines(planted)]


def test_generated_domain_files_are_up_to_date() -> None:
    assert build.stale() == [], "run: quartierslotse answers build"
    assert Path(AMOUNTS_DOMAIN).read_text(encoding="utf-8") == render_amounts_domain(load_facts())


def test_every_placeholder_names_a_fact() -> None:
    for template in build.templates():
        build.render_template(template.read_text(encoding="utf-8"))  # raises FactError


# ---- place 3: texts the actions build in Python ------------------------------------------------

@pytest.mark.parametrize("text", python_texts())
def test_texts_built_by_the_actions_are_backed(text: str) -> None:
    assert figures.unbacked(text) == []


@pytest.mark.parametrize("source", PYTHON_SOURCES, ids=lambda p: p.name)
def test_python_code_types_no_figure(source: Path) -> None:
    typed = [s for s in figures.python_strings(source) if figures.fact_like_figures(s)]
    assert typed == [], f"{source.name}: take these figures from bot/facts.yml"


def test_a_planted_figure_in_an_action_text_fails(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(texts.TEMPLATES, "pflegetelefon_line",
                        "Rufen Sie das Pflegetelefon an: 0800 999 999.")
    assert figures.unbacked(texts.text("pflegetelefon_line")) == ["0800 999 999"]
    planted = tmp_path / "office_messages.py"
    planted.write_text(PYTHON_SOURCES[0].read_text() +
                       '\nHINT = "Die Beglaubigung kostet 12 Euro pro Unterschrift."\n')
    assert any(figures.fact_like_figures(s) == ["12 Euro"]
               for s in figures.python_strings(planted))


# ---- place 4: the fallback hotline (action server down) ----------------------------------------

def test_the_fallback_hotline_is_backed_and_not_only_115(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(action_guard, "_cached_hotline", _no_hotline)
    text = asyncio.run(action_guard.apology_text({"slots": {}}))
    assert figures.unbacked(text) == []
    assert facts_module.value("phones.pflegetelefon.number") in text
    assert "nicht in jeder Stadt" in text


def test_a_planted_fallback_hotline_figure_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(action_guard, "_cached_hotline", _no_hotline)
    monkeypatch.setitem(texts.TEMPLATES, "fallback_hotline", "Pflegetelefon 030 1234567")
    text = asyncio.run(action_guard.apology_text({"slots": {}}))
    assert figures.unbacked(text) == ["030 1234567"]


async def _no_hotline(municipality: str) -> str:
    return ""


# ---- place 5: the widget and the demo page; place 6: Telegram -----------------------------------

def test_widget_and_demo_page_type_no_figure() -> None:
    assert [s for s in figures.script_strings(WIDGET_JS) if figures.fact_like_figures(s)] == []
    assert figures.fact_like_figures(figures.html_text(DEMO_PAGE)) == []


def test_a_planted_figure_in_the_widget_fails(tmp_path: Path) -> None:
    script = tmp_path / "widget.js"
    script.write_text(WIDGET_JS.read_text() +
                      '\nvar hint = "Im Notfall rufen Sie die 0800 111 0 333 an.";\n')
    assert ["0800 111 0 333"] in [figures.fact_like_figures(s)
                                  for s in figures.script_strings(script)]
    page = tmp_path / "index.html"
    page.write_text(DEMO_PAGE.read_text().replace("</main>", "<p>Pflegegeld: 347 Euro</p></main>"))
    assert figures.fact_like_figures(figures.html_text(page)) == ["347 Euro"]


def test_telegram_types_no_figure() -> None:
    assert [s for s in figures.python_strings(TELEGRAM) if figures.fact_like_figures(s)] == []


def test_a_planted_figure_in_telegram_fails(tmp_path: Path) -> None:
    planted = tmp_path / "telegram.py"
    planted.write_text(TELEGRAM.read_text() +
                       '\nWELCOME = "Willkommen! Bei Fragen: 030 20179131 anrufen."\n')
    assert any(figures.fact_like_figures(s) == ["030 20179131"]
               for s in figures.python_strings(planted))


# ---- the content rules of the answers ---------------------------------------------------------

def test_unconfirmed_figures_are_never_quoted() -> None:
    for name, text in domain_texts():
        for pattern in UNCONFIRMED:
            assert not re.search(pattern, text), f"{name} quotes an unconfirmed figure"


def knowledge_answers() -> list[str]:
    return sorted(facts_module.answers())


@pytest.mark.parametrize("name", knowledge_answers())
def test_each_answer_has_source_date_office_button_and_is_short(name: str) -> None:
    responses: dict[str, list[dict]] = {}
    for path in DOMAIN_FILES:
        responses.update((yaml.safe_load(path.read_text()) or {}).get("responses") or {})
    assert name in responses, f"{name} is in bot/facts.yml but no response"
    for variation in responses[name]:
        lines = variation["text"].splitlines()
        assert len(lines) <= 6, f"{name}: {len(lines)} lines"
        assert facts_module.stand_line(name) in lines
        assert not re.search(r"\b(du|dich|dir|dein|deine)\b", variation["text"], re.I)
        if not name.startswith("utter_ask_gesundheit/"):  # warning signs: 112, not an office
            assert any(b["payload"] == "/find_office" for b in variation["buttons"])


def test_every_fact_has_source_as_of_and_review_date() -> None:
    entries = [(f.key, f.data) for f in facts_module.facts().values()]
    entries += list(facts_module.answers().items())
    for key, entry in entries:
        assert all(entry.get(field) for field in facts_module.REQUIRED), key
        facts_module.parse_day(entry["review_by"])
