import pytest

from privacy.redaction import redact, redact_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Meine Nummer ist 0231 / 50-12345, bitte zurückrufen",
         "Meine Nummer ist [Telefon], bitte zurückrufen"),
        ("Tel.: +49 (0)231 5012345", "Tel.: [Telefon]"),
        ("Handy 0171-1234567", "Handy [Telefon]"),
        ("0049 208 8253967 ist die Nummer", "[Telefon] ist die Nummer"),
        ("schreiben Sie an oma.erna@web.de bitte", "schreiben Sie an [E-Mail] bitte"),
        ("nese.oezcelik (at) oberhausen.de", "[E-Mail]"),
        ("IBAN DE89 3704 0044 0532 0130 00 für die Rechnung", "IBAN [IBAN] für die Rechnung"),
        ("DE89370400440532013000", "[IBAN]"),
        ("ich bin am 03.04.1941 geboren", "ich bin am [Datum] geboren"),
        ("geboren 1938 in Hörde", "geboren [Datum] in Hörde"),
        ("Jahrgang 1942, wohne allein", "Jahrgang [Datum], wohne allein"),
        ("Termin am 1. März 2026", "Termin am [Datum]"),
        ("Versichertennummer A123456789", "Versichertennummer [Versichertennummer]"),
        ("meine Kundennummer 12345678", "meine Kundennummer [Nummer]"),
        ("Ich heiße Erna Müller und wohne in der Hauptstraße 12",
         "Ich heiße [Name] und wohne in der [Adresse]"),
        ("Frau Schmidt hat gesagt", "Frau [Name] hat gesagt"),
        ("Herr Dr. Weber ist mein Hausarzt", "Herr Dr. [Name] ist mein Hausarzt"),
        ("Mein Sohn Thomas hilft mir", "Mein Sohn [Name] hilft mir"),
        ("meine Tochter Anna Maria kommt", "meine Tochter [Name] kommt"),
        ("Frau Schmidt Pflegegrad?", "Frau [Name] Pflegegrad?"),
        ("Festnetz 0231.5012345", "Festnetz [Telefon]"),
        ("Pflegegrad 3 seit 01/2024", "Pflegegrad 3 seit [Datum]"),
        ("Steuer-ID 12 345 678 901", "Steuer-ID [Nummer]"),
    ],
)
def test_personal_data_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Was ist ein Pflegegrad 2?",
        "Die Pflegekasse zahlt bis zu 4.180 Euro",
        "Im Notfall rufen Sie 112 an",
        "Öffnungszeiten am Montag von 9 bis 12 Uhr",
        "Ist das Seniorenbüro um 14:30 Uhr offen?",
        "Wohnberatung in Dortmund Hörde, PLZ 44263",
        "Frau Doktor hat gesagt ich soll fragen",
        "Beratung für Frauen und Männer ab 60",
        "mein Mann braucht Hilfe",
        "Meine Mutter Pflegegrad 3",
        "Meine Rente ist 1.500,00 € im Monat",
        "am 1.5. um 10.30 Uhr",
    ],
)
def test_ordinary_questions_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_nested_values_and_empty_input() -> None:
    value = {"text": "ruf 0231 5012345 an", "items": ["a@b.de", 3], "n": None}
    assert redact_value(value) == {"text": "ruf [Telefon] an", "items": ["[E-Mail]", 3], "n": None}
    assert redact("") == ""
    assert redact(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 300 + "@web.de", "[E-Mail]"),  # a local part far beyond the usual length
        ("mail: a.b@c.d.example.org!", "mail: [E-Mail]!"),
        ("oma.erna [at] web [dot] de", "[E-Mail]"),
        ("Kundennr. 123456 und mehr", "Kundennr. [Nummer] und mehr"),
        ("Hauptstraße 5, Müllerweg 3a", "[Adresse], [Adresse]"),
    ],
)
def test_rewritten_patterns_still_find_personal_data(text: str, expected: str) -> None:
    assert redact(text) == expected


# The cost on hostile input (10x the input, at most ~20x the time, up to 200,000 characters) is
# measured by benchmarks/redaction_cost.py: wall-clock ratios of millisecond timings flake on a
# loaded machine, and privacy/redaction.py has no operations counter a test could read instead.
