"""Every figure the assistant says is backed by the dated facts file bot/facts.yml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.answers import AMOUNTS_DOMAIN, german_date, load_facts, render_amounts_domain
from quartierslotse.settings import PROJECT_ROOT

FACTS_FILE = PROJECT_ROOT / "bot" / "facts.yml"
# The domain files of the conversation topics (offices/handoff texts come from their owners).
OWN_DOMAIN_FILES = ["core", "pflegegrad", "pflegegrad_amounts", "vorsorge", "begegnung",
                    "wohnen", "emergency"]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MONTH_DAY = re.compile(r"\b(\d{1,2})\. (?:Januar|Februar|März|April|Mai|Juni|Juli|August|"
                       r"September|Oktober|November|Dezember)\b")
# Numbers that are figures about the world; "Pflegegrad 3" and paragraphs are not.
UNCONFIRMED = ["42", "13,00", "20,50", "4.000"]


def own_responses() -> dict[str, list[dict]]:
    responses: dict[str, list[dict]] = {}
    for name in OWN_DOMAIN_FILES:
        data = yaml.safe_load((PROJECT_ROOT / "bot" / "domain" / f"{name}.yml").read_text())
        responses.update(data.get("responses") or {})
    return responses


def texts() -> list[tuple[str, str]]:
    return [(name, variation["text"]) for name, variations in own_responses().items()
            for variation in variations if "text" in variation]


def backed_numbers() -> set[str]:
    """Every number in facts.yml: values, phone numbers, paragraphs and dates."""
    raw = FACTS_FILE.read_text(encoding="utf-8")
    for phone in phone_numbers():  # parts of phone numbers back nothing else
        raw = raw.replace(phone, " ")
    values = {m.group(0) for m in NUMBER.finditer(raw)}
    values |= {str(int(v)) for v in values if v.isdigit()}  # "01" -> "1"
    return values


def phone_numbers() -> list[str]:
    phones = load_facts()["phones"]
    numbers = [entry["number"] for entry in phones.values() if "number" in entry]
    for entry in phones.values():
        numbers.extend(entry.get("numbers", []))
    return sorted(numbers, key=len, reverse=True)


def unbacked(text: str) -> list[str]:
    for phone in phone_numbers():  # phone numbers are compared as a whole
        text = text.replace(phone, " ")
    text = MONTH_DAY.sub(" ", text)  # a day of month belongs to a dated "Stand"
    found = [m.group(0).rstrip(".,") for m in NUMBER.finditer(text)]
    allowed = backed_numbers()
    return [n for n in found if n.replace(".", "") not in allowed and n not in allowed]


@pytest.mark.parametrize("name,text", texts())
def test_every_number_in_every_response_is_in_the_facts_file(name: str, text: str) -> None:
    assert unbacked(text) == [], f"{name}: figures not backed by bot/facts.yml"


def test_the_check_catches_an_invented_figure() -> None:
    assert unbacked("Sie bekommen 500 Euro im Monat.") == ["500"]
    assert unbacked("Rufen Sie 0800 111 0 111 an, Pflegegrad 3: 599 Euro.") == []


def test_unconfirmed_figures_are_never_quoted() -> None:
    for name, text in texts():
        for figure in UNCONFIRMED:
            quoted = rf"(?<![\d.,]){re.escape(figure)}(?![\d.,]*\d)\s*(€|Euro)"
            assert not re.search(quoted, text), f"{name} quotes the unconfirmed figure {figure}"


def knowledge_answers() -> list[str]:
    return [name for name in own_responses() if "/" in name]


@pytest.mark.parametrize("name", knowledge_answers())
def test_each_answer_has_source_date_office_button_and_is_short(name: str) -> None:
    meta = load_facts()["answers"][name]
    for variation in own_responses()[name]:
        lines = variation["text"].splitlines()
        assert len(lines) <= 6, f"{name}: {len(lines)} lines"
        stand = f"Stand: {german_date(meta['as_of'])} · Quelle: {meta['source']}"
        assert stand in lines, f"{name}: expected '{stand}'"
        assert {"payload": "/find_office"}.items() <= variation["buttons"][-1].items() or any(
            b["payload"] == "/find_office" for b in variation["buttons"])
        assert not re.search(r"\b(du|dich|dir|dein|deine)\b", variation["text"], re.I), \
            f"{name}: use the Sie-Form"


def test_every_answer_in_the_facts_file_exists() -> None:
    assert set(load_facts()["answers"]) <= set(own_responses())


def test_generated_amount_responses_are_up_to_date() -> None:
    assert Path(AMOUNTS_DOMAIN).read_text(encoding="utf-8") == render_amounts_domain(load_facts())
