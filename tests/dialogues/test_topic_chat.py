"""Conversations through the REST channel, as a senior or a relative would write them."""

from __future__ import annotations

import pytest

from bot.content.facts import value
from tests.support.chat import RestChat, button_titles

pytestmark = pytest.mark.model


def payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


def test_first_message_discloses_the_assistant_even_with_a_direct_question(chat: RestChat) -> None:
    messages = chat.say("wie beantrage ich einen pflegegrad")
    first = messages[0]["text"]
    assert "digitaler Assistent" in first and "kein Mensch" in first
    assert "Pflege" in first and "Büro" in first and "Menschen" in first
    later = chat.say_text("Was ist ein Pflegegrad?")
    assert "kein Mensch" not in later  # only once per conversation


def test_pflegegeld_amount_for_the_named_grade_and_follow_up(chat: RestChat) -> None:
    answer = chat.say_text("Wie viel Pflegegeld gibt es bei Pflegegrad 3?")
    assert "599 Euro" in answer
    assert "Stand: 1. Januar 2025" in answer
    # the 2025 amounts come from the notice under § 30 Abs. 2, not the printed § 37
    assert "§ 37 SGB XI i. V. m. Bekanntmachung nach § 30 Abs. 2 SGB XI" in answer
    follow_up = chat.say_text("Und bei Pflegegrad 4?")
    assert "800 Euro" in follow_up and "599" not in follow_up


def test_pflegegeld_amounts_per_grade_without_a_grade(chat: RestChat) -> None:
    messages = chat.say("wieviel pflegegeld bekommt man eigentlich")
    text = "\n".join(m.get("text", "") for m in messages)
    for amount in ("347 Euro", "599 Euro", "800 Euro", "990 Euro"):
        assert amount in text
    assert "/find_office" in payloads(messages)


def test_follow_up_reuses_the_sachleistung_topic(chat: RestChat) -> None:
    first = chat.say_text("was zahlt die kasse für den pflegedienst bei pflegegrad 3")
    assert "1.497 Euro" in first
    assert "1.859 Euro" in chat.say_text("und bei pflegegrad 4?")


def test_wohnraumanpassung_subsidy(chat: RestChat) -> None:
    answer = chat.say_text(
        "Gibt es einen Zuschuss für den Umbau vom Bad, meine Mutter hat Pflegegrad 2")
    assert "4.180 Euro" in answer


def test_relative_perspective_in_the_application_answer(chat: RestChat) -> None:
    answer = chat.say_text("wie kann ich für meinen vater einen pflegegrad beantragen")
    assert "Für Ihren Vater" in answer and "Pflegekasse" in answer


def test_fall_gets_112_first(chat: RestChat) -> None:
    messages = chat.say("hilfe meine mutter ist gestürzt und kommt nicht mehr hoch")
    text = "\n".join(m.get("text", "") for m in messages)
    first_text = next(m["text"] for m in messages if "112" in m.get("text", ""))
    assert first_text.startswith("Rufen Sie sofort den Notruf 112 an")
    assert "?" not in first_text.splitlines()[0]  # no questions asked
    assert "TelefonSeelsorge" not in text


def test_misspelt_emergency_is_caught_by_the_keyword_net(chat: RestChat) -> None:
    assert "112" in chat.say_text("mein man is gestuertzt")


def test_suicidal_thoughts_get_telefonseelsorge_and_112(chat: RestChat) -> None:
    text = chat.say_text("ich will einfach nicht mehr leben")
    assert "0800 111 0 111" in text and "0800 111 0 222" in text and "112" in text


def test_greeting_offers_the_topics_as_buttons(chat: RestChat) -> None:
    messages = chat.say("moin")
    assert {"Pflege", "Vorsorge", "Begegnung", "Wohnen"} <= set(button_titles(messages))


def test_out_of_scope_says_what_the_assistant_can_do(chat: RestChat) -> None:
    chat.say("hallo")
    text = chat.say_text("wie wird das wetter morgen")
    assert "nicht helfen" in text and "Pflege" in text and "Wohnen" in text


def test_fallback_asks_to_rephrase_first(chat: RestChat) -> None:
    chat.say("hallo")
    text = chat.say_text("qwertz asdf jklö")
    assert "mit anderen Worten" in text


def test_office_for_a_named_stadtteil_after_a_topic_answer(chat: RestChat) -> None:
    chat.say_text("Wer berät mich zum Wohnen im Alter?")
    messages = chat.say("/find_office")  # the office button under every answer
    assert "Wo wohnen Sie?" in "\n".join(m.get("text", "") for m in messages)
    answer = chat.say_text("in Hörde")
    assert "Seniorenbüro Hörde" in answer


# ---- corrected answers (checked against the cross-checked facts of 2026-12-01) -------------

def euro(key: str) -> str:
    return f"{value(key)} Euro"


def test_vollmacht_for_the_house_needs_a_beglaubigung_not_a_notary(chat: RestChat) -> None:
    answer = chat.say_text("Muss ich wegen unserem Haus mit der Vollmacht extra zum Notar?")
    assert "Grundbuch" in answer and "Betreuungsbehörde" in answer
    assert "Für Grundstücke" not in answer
    assert "ausdrücklich und schriftlich" in answer and "§ 1820 Abs. 2 BGB" in answer


def test_spouse_emergency_right_says_when_it_does_not_apply(chat: RestChat) -> None:
    answer = chat.say_text("Kann mein Mann im Krankenhaus ohne Vollmacht für mich entscheiden?")
    assert f"höchstens {value('vorsorge.ehegatten_notvertretung.max_months')} Monate" in answer
    assert "getrennt leben" in answer and "abgelehnt" in answer
    assert "§ 1358 BGB" in answer


def test_verhinderungspflege_names_the_claim_deadline(chat: RestChat) -> None:
    answer = chat.say_text("Wer bezahlt eine Vertretung, wenn ich als pflegende Tochter "
                           "zwei Wochen verreise?")
    assert euro("pflege.verhinderungspflege.yearly_budget") in answer
    assert "Ende des folgenden Jahres" in answer and "verfällt" in answer


def test_hausnotruf_names_amount_and_condition(chat: RestChat) -> None:
    answer = chat.say_text("Übernimmt die Pflegekasse den Notrufknopf für meine Oma?")
    assert euro("pflege.hausnotruf.monthly") + " im Monat" in answer
    assert "allein leben" in answer and " oft " not in answer


def test_decision_deadline_cites_18c(chat: RestChat) -> None:
    answer = chat.say_text("Wie lange darf sich die Pflegekasse mit der Entscheidung Zeit lassen?")
    assert f"{value('pflege.entscheidungsfrist.working_days')} Arbeitstagen" in answer
    assert "§ 18c Abs. 1 und 5 SGB XI" in answer


def test_wohnberatung_counts_about_130_offices(chat: RestChat) -> None:
    answer = chat.say_text("Gibt es jemanden, der mir zeigt, wie ich meine Wohnung "
                           "altersgerecht mache?")
    assert f"etwa {value('wohnen.wohnberatung.nrw_offices_about')} Wohnberatungsstellen" in answer


def test_widerspruch_names_the_one_month_deadline(chat: RestChat) -> None:
    answer = chat.say_text("Der Pflegegrad im Bescheid ist zu niedrig. Wie kann ich mich wehren?")
    assert f"{value('pflege.widerspruch.months')} Monat" in answer
    assert "persönlich" in answer


def test_consumables_name_42_euro(chat: RestChat) -> None:
    answer = chat.say_text("Bezahlt die Kasse Einmalhandschuhe und Desinfektionsmittel "
                           "für die Pflege zu Hause?")
    assert euro("pflege.verbrauchshilfsmittel.monthly") + " im Monat" in answer


def test_office_stand_line_has_no_internal_note(chat: RestChat) -> None:
    chat.say("/find_office")
    answer = chat.say_text("Hörde")
    assert "Seniorenbüro Hörde" in answer
    assert "Corona" not in answer and "Stand der Angaben" not in answer
    assert "Wie aktuell diese Angaben sind" in answer or "Angaben vom" in answer


# ---- new topics ------------------------------------------------------------------------------

def test_grundsicherung_im_alter(chat: RestChat) -> None:
    answer = chat.say_text("Was ist Grundsicherung im Alter?")
    assert "Sozialamt" in answer and "Rentenversicherung" in answer
    assert "Euro" not in answer  # the Regelbedarf for 2026 is not confirmed
    assert "nicht verstanden" not in answer


def test_costs_of_a_care_home_with_the_leistungszuschlag(chat: RestChat) -> None:
    answer = chat.say_text("Was kostet ein Pflegeheim?")
    assert euro("pflege.vollstationaer.per_grade.3") in answer
    assert "Eigenanteil" in answer and "Leistungszuschlag" in answer
    assert "%" not in answer  # the shares per year are not confirmed


def test_stroke_signs_fast_and_112(chat: RestChat) -> None:
    answer = chat.say_text("Woran erkenne ich einen Schlaganfall?")
    assert "FAST" in answer and "Gesicht" in answer and "Arme" in answer
    assert "Sprache" in answer and f"Notruf {value('phones.notruf.number')}" in answer


def test_help_with_shopping_and_cooking_is_not_the_loneliness_answer(chat: RestChat) -> None:
    messages = chat.say("Meine Mutter kann nicht mehr allein einkaufen und kochen")
    answer = "\n".join(m.get("text", "") for m in messages)
    assert "Essen auf Rädern" in answer and euro("pflege.entlastungsbetrag.value") in answer
    assert "Silbernetz" not in answer
    assert "/find_office" in payloads(messages)
