"""Console pages /pruefung (facts due for review) and /antwortkatalog over HTTP, without the
bot (console_only): who sees them, the count on the queue page, overdue and soon-due facts;
and the cache behind them (a planted facts file, recomputed only when a file changes)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from advisor.review import Review, local_today
from bot.content import catalog, review
from handoff.models import ROLE_ADMIN, ROLE_ADVISOR, ROLE_MUNICIPALITY_ADMIN
from security.headers import console_csp

ADMIN_ROLES = [ROLE_MUNICIPALITY_ADMIN, ROLE_ADMIN]
FORBIDDEN = "nur für die Verwaltung der Kommune und die Gesamtverwaltung"


def notice_text(count: int) -> str:
    if count == 1:
        return "1 Angabe muss geprüft werden"
    return f"{count} Angaben müssen geprüft werden"


def sections(page: str) -> tuple[str, str]:
    """(overdue section, soon section) of the /pruefung page."""
    overdue = page.split('id="ueberfaellig"', 1)[1].split('id="bald-faellig"', 1)[0]
    soon = page.split('id="bald-faellig"', 1)[1]
    return overdue, soon


def test_review_pages_need_login(console_only) -> None:
    for path in ("/pruefung", "/antwortkatalog"):
        response = requests.get(console_only.url + path, allow_redirects=False, timeout=10)
        assert response.status_code == 302, path
        assert response.headers["location"].endswith("/login")


def test_advisors_get_403_and_no_notice(console_only) -> None:
    client = console_only.logged_in(role=ROLE_ADVISOR)
    for path in ("/pruefung", "/antwortkatalog"):
        response = client.http.get(console_only.url + path, timeout=30)
        assert response.status_code == 403, path
        assert FORBIDDEN in response.text and "<html lang=\"de\">" in response.text
    queue = client.http.get(console_only.url + "/", timeout=30).text
    assert "geprüft werden" not in queue
    assert 'href="/pruefung"' not in queue and 'href="/antwortkatalog"' not in queue


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admins_see_the_count_and_the_list(console_only, role: str) -> None:
    due = review.check(local_today())
    overdue = [d for d in due if d.overdue]
    client = console_only.logged_in(role=role)
    queue = client.http.get(console_only.url + "/", timeout=30)
    assert queue.status_code == 200
    if due:  # the SGB XI facts are due on 1 January 2027; later runs may have none
        assert notice_text(len(due)) in queue.text
        assert '<a href="/pruefung"><strong>' in queue.text
        assert f"in den nächsten {review.WARN_DAYS} Tagen fällig" in queue.text
    else:
        assert "geprüft werden</strong>" not in queue.text
    assert 'href="/antwortkatalog"' in queue.text  # header navigation

    page = client.http.get(console_only.url + "/pruefung", timeout=60)
    assert page.status_code == 200
    assert "<h1>Angaben prüfen</h1>" in page.text
    assert f"vorbei ({len(overdue)})" in page.text
    assert f"in den nächsten {review.WARN_DAYS} Tagen ({len(due) - len(overdue)})" in page.text
    overdue_part, soon_part = sections(page.text)
    for entry in due:
        assert entry.key in (overdue_part if entry.overdue else soon_part), entry.key
    assert '<th scope="col">Prüfen bis</th>' in page.text and '<th scope="row"' in page.text


def test_a_passed_review_date_shows_as_overdue(console_only) -> None:
    """Preview for 2 January 2027: every SGB XI fact (review by 1 January 2027) is overdue."""
    day = date(2027, 1, 2)
    due = review.check(day)
    client = console_only.logged_in(role=ROLE_MUNICIPALITY_ADMIN)
    page = client.http.get(console_only.url + "/pruefung", params={"stichtag": day.isoformat()},
                           timeout=60)
    assert page.status_code == 200
    assert "Vorschau für den 2. Januar 2027" in page.text
    assert notice_text(len(due)) in page.text
    overdue, soon = sections(page.text)
    assert "pflege.pflegegeld" in overdue and "pflege.pflegegeld" not in soon
    # label, value as users read it, source, Stand, review date, answers using it
    assert "Pflege: Pflegegeld je Pflegegrad" in overdue
    assert "PG 2: 347 · PG 3: 599" in overdue
    assert "§ 37 SGB XI i. V. m. Bekanntmachung nach § 30 Abs. 2 SGB XI" in overdue
    assert "1. Januar 2025" in overdue and "1. Januar 2027" in overdue
    assert "Antwort auf „Wie viel Pflegegeld gibt es bei Pflegegrad 3?“" in overdue
    # the header notice still counts today, the page says how to go back
    assert 'href="/pruefung">Zurück zu heute' in page.text


def test_a_malformed_preview_date_is_refused_in_german(console_only) -> None:
    client = console_only.logged_in(role=ROLE_ADMIN)
    page = client.http.get(console_only.url + "/pruefung", params={"stichtag": "1.1.2030"},
                           timeout=60)
    assert page.status_code == 400
    assert "JJJJ-MM-TT" in page.text and 'role="alert"' in page.text


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_admins_see_the_antwortkatalog_in_the_console(console_only, role: str) -> None:
    client = console_only.logged_in(role=role)
    page = client.http.get(console_only.url + "/antwortkatalog", timeout=120)
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == console_csp()
    text = page.text
    assert "<h1>Antwortkatalog des Quartierslotsen</h1>" in text
    assert text.count("<div class='answer'>") == len(catalog.answers())  # same as the export
    assert "Geprüft und freigegeben" in text and "Büro-Daten" in text
    assert 'href="/static/review.css"' in text
    # the CSP forbids inline styles and scripts: none on the page
    assert "<style" not in text and " style=" not in text and "<script" not in text
    assert "<th scope='col'>" in text


# ---- the cache behind the pages (in-process, a planted facts file) ---------------------------

PLANTED = """
pflege:
  testfakt:
    label: "Testfakt"
    source: "§ 99 Testgesetz"
    as_of: "2019-01-01"
    review_by: "{overdue}"
    value: 42
    units: {{value: euro}}
  bald:
    label: "Bald fälliger Fakt"
    source: "Testquelle"
    as_of: "2026-01-01"
    review_by: "{soon}"
    number: "0800 123"
answers: {{}}
"""


def plant(path: Path, overdue: str, soon: str, stamp: int) -> None:
    path.write_text(PLANTED.format(overdue=overdue, soon=soon), encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))


def test_a_planted_fact_with_a_past_review_date_is_overdue(tmp_path: Path) -> None:
    today = date(2026, 12, 2)
    facts_file = tmp_path / "facts.yml"
    plant(facts_file, "2020-01-01", (today + timedelta(days=10)).isoformat(), 1_000_000_000)
    data = Review(facts_file, today=lambda: today)

    found = data.list_cache.get(today)
    assert [item.key for item in found.overdue] == ["pflege.testfakt"]
    planted = found.overdue[0]
    assert planted.label == "Pflege: Testfakt" and planted.values == ["42 Euro"]
    assert planted.source == "§ 99 Testgesetz" and planted.as_of == "1. Januar 2019"
    assert planted.review_by == "1. Januar 2020"
    assert [(item.key, item.values) for item in found.soon] == [
        ("pflege.bald", ["Telefon 0800 123"])]
    assert found.notice == "2 Angaben müssen geprüft werden"
    assert found.detail == "1 ist überfällig, 1 wird in den nächsten 60 Tagen fällig."

    # cached: same day, unchanged file -> not computed again
    assert data.list_cache.get(today) is found and data.list_cache.computed == 1
    assert data.list_cache.peek(today) is found  # what a request gets without a thread
    # the file changes (reviewed: new date) -> computed again, the fact is no longer due
    plant(facts_file, "2030-01-01", (today + timedelta(days=10)).isoformat(), 2_000_000_000)
    assert data.list_cache.peek(today) is None
    again = data.list_cache.get(today)
    assert data.list_cache.computed == 2
    assert again.overdue == [] and again.notice == "1 Angabe muss geprüft werden"
    assert again.detail.startswith("keine ist überfällig")
