"""The review gate (`quartierslotse facts check`), the Antwortkatalog and the office Stand
lines users see."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest

from actions.formatting import UNKNOWN_AS_OF, stand_for_people
from bot.content import catalog, review
from bot.content import facts as facts_module
from quartierslotse.cli import main as cli

TODAY = date(2026, 12, 1)


def test_facts_check_passes_today_with_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["facts", "check", "--today", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "0 überfällig" in out and "WARNUNG" in out
    # every SGB XI fact is due by 1 Jan 2027 (planned reform): within 60 days, so a warning
    assert "pflege.pflegegeld: prüfen bis 2027-01-01" in out


def test_facts_check_fails_when_a_review_date_passed(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["facts", "check", "--today", "2030-01-01"]) == 1
    out = capsys.readouterr().out
    assert "FEHLER" in out
    assert "pflege.hausnotruf: prüfen bis 2027-01-01" in out
    assert "verwendet in: utter_ask_wohnen/hausnotruf" in out


def test_facts_check_rejects_a_malformed_date(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli(["facts", "check", "--today", "1.1.2030"])
    assert stop.value.code == 2
    assert "JJJJ-MM-TT" in capsys.readouterr().err


def test_a_fact_without_review_date_is_an_error() -> None:
    data = copy.deepcopy(facts_module.load())
    del data["pflege"]["entlastungsbetrag"]["review_by"]
    due = review.check(TODAY, data)
    broken = [d for d in due if d.key == "pflege.entlastungsbetrag"]
    assert broken and broken[0].overdue and "review_by" in broken[0].problem
    assert "utter_ask_pflegegrad/entlastungsbetrag" in broken[0].answers


def test_the_warning_window_is_60_days() -> None:
    keys = {d.key for d in review.check(date(2026, 11, 1)) if not d.overdue}
    assert "pflege.pflegegeld" not in keys  # 61 days before 2027-01-01
    assert "pflege.pflegegeld" in {d.key for d in review.check(date(2026, 11, 2))}


def test_catalog_lists_every_answer_with_its_facts(tmp_path: Path) -> None:
    out = tmp_path / "katalog.md"
    assert cli(["answers", "export", "--format", "md", "--output", str(out),
                "--today", TODAY.isoformat()]) == 0
    text = out.read_text(encoding="utf-8")
    for name in facts_module.answers():
        assert f"### {name}" in text
    assert "## Pflege" in text and "## Gesundheit" in text
    assert "| pflege.hausnotruf | 25,50 Euro [monthly] | § 40 Abs. 1 SGB XI" in text
    assert "Text im Programm: Technische Störung" in text
    assert "Büro-Daten: Beispieldaten oder ohne bestätigtes Datum" in text
    assert "unbekannt (Artikel aus der Corona-Zeit)" in text  # for the editors, not for users


def test_catalog_html_is_escaped_and_readable(tmp_path: Path) -> None:
    out = tmp_path / "katalog.html"
    assert catalog.export("html", TODAY, out) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html><html lang='de'>")
    assert "Antwortkatalog des Quartierslotsen" in page
    assert "„Pflegestufe“" in page and "&lt;" not in page.split("<body>")[0]
    assert "Geprüft und freigegeben" in page
    assert page.count("<div class='answer'>") == len(catalog.answers())


def test_answers_build_check_reports_a_stale_domain_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.content import build

    monkeypatch.setattr(build, "DOMAIN_DIR", tmp_path)
    monkeypatch.setattr(build, "PROJECT_ROOT", tmp_path.parent)
    assert cli(["answers", "build", "--check"]) == 1
    assert "veraltet" in capsys.readouterr().out
    assert cli(["answers", "build"]) == 0
    assert cli(["answers", "build", "--check"]) == 0


@pytest.mark.parametrize("as_of,shown", [
    ("2024-03 (Recherche)", "Angaben vom März 2024"),
    ("2026-11-23", "Angaben vom 23. November 2026"),
    ("unbekannt (Artikel aus der Corona-Zeit)", UNKNOWN_AS_OF),
    ("", UNKNOWN_AS_OF),
    ("2011/2012 (Kommunale Pflegeplanung)", "Angaben aus dem Jahr 2011"),
])
def test_office_stand_lines_are_written_for_people(as_of: str, shown: str) -> None:
    assert stand_for_people(as_of) == shown
    assert "Corona" not in stand_for_people(as_of) and "Recherche" not in stand_for_people(as_of)
