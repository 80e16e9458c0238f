"""What the console shows for stored values: German labels, local times and one ticket as the
queue and the conversation page read it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from advisor.offices import AUDIT_LABELS as OFFICE_AUDIT_LABELS
from handoff.models import (
    PRIORITY_EMERGENCY,
    PRIORITY_PERSONAL_TOPIC,
    UNASSIGNED,
    UNASSIGNED_LABEL,
    Advisor,
    Ticket,
    utcnow,
)
from quartierslotse.settings import get_settings

CHANNEL_LABELS = {"webchat": "Web-Chat", "telegram": "Telegram", "rest": "Schnittstelle",
                  "socketio": "Web-Chat"}
RELATION_LABELS = {"relative": "Angehörige/r", "self": "für sich selbst", "": "unbekannt"}
STATUS_LABELS = {"queued": "wartet", "open": "in Bearbeitung",
                 "followup": "zurückgegeben, offen zur Nachbearbeitung",
                 "closed": "abgeschlossen"}
TIER_LABELS = {"akut": "akut (Gefahr jetzt)",
               "moeglich": "möglich (Gefahrenwörter, keine Alarmierung)", "": "–"}
KIND_LABELS = {"akut": "Notruf 112/110", "suizid": "Suizidgefahr (TelefonSeelsorge)", "": "–"}
CALLBACK_LABELS = {"open": "offen", "done": "erledigt", "failed": "nicht erreicht"}
AUDIT_LABELS = {
    "konto_angelegt": "Konto angelegt", "passwort_gesetzt": "Passwort gesetzt",
    "rolle_gesetzt": "Rolle geändert",
    "angemeldet": "Angemeldet", "anmeldung_fehlgeschlagen": "Anmeldung fehlgeschlagen",
    "anmeldung_gesperrt": "Anmeldung abgewiesen (Benutzername gesperrt)",
    "anmeldung_ip_gesperrt": "Anmeldung abgewiesen (zu viele Versuche von einer Adresse)",
    "dienst_beginn": "Dienst begonnen", "dienst_ende": "Dienst beendet",
    "ticket_erstellt": "Anfrage eingereiht", "prioritaet_erhoeht": "Dringlichkeit erhöht",
    "uebernommen": "Gespräch übernommen", "antwort": "Antwort gesendet", "notiz": "Notiz",
    "an_bot_zurueckgegeben": "An den Bot zurückgegeben", "textbaustein_angelegt":
    "Textbaustein angelegt", "rueckruf_angelegt": "Rückruf angelegt",
    "rueckruf_done": "Rückruf erledigt", "rueckruf_failed": "Rückruf nicht erreicht",
    "rueckruf_open": "Rückruf wieder offen", "rueckruf_geloescht": "Rückruf gelöscht",
    "rueckruf_geaendert": "Rückruf geändert", "wieder_eingereiht": "Wieder eingereiht",
    "notfall_alarm": "Notfall-Alarm", "uebernahme_fehlgeschlagen": "Übernahme fehlgeschlagen",
    "zurueckgegeben_offen": "An den Bot zurückgegeben, offen zur Nachbearbeitung",
    "rueckgabe_fehlgeschlagen": "Rückgabe fehlgeschlagen",
    "an_kommune_uebergeben": "An Kommune übergeben",
    "fehler": "Fehler",
    **OFFICE_AUDIT_LABELS,
}
REASON_LABELS = {"request": "Wunsch nach einem Menschen", "fallback": "Bot hat nicht verstanden",
                 "emergency": "NOTFALL", "topic": "Thema braucht persönliche Beratung"}


def priority_label(priority: int) -> str:
    if priority >= PRIORITY_EMERGENCY:
        return "Notfall"
    if priority >= PRIORITY_PERSONAL_TOPIC:
        return "hoch"
    return "normal"


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.replace(tzinfo=timezone.utc).astimezone(
        ZoneInfo(get_settings().timezone)).strftime("%d.%m.%Y %H:%M")


def municipality_label(municipality: str) -> str:
    return UNASSIGNED_LABEL if municipality == UNASSIGNED else municipality


def ticket_json(ticket: Ticket, advisor: Advisor, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "status": ticket.status,
        "status_label": STATUS_LABELS.get(ticket.status, ticket.status),
        "priority": ticket.priority,
        "priority_label": priority_label(ticket.priority),
        "reason_label": REASON_LABELS.get(ticket.reason, ticket.reason),
        "waiting_seconds": int((utcnow() - ticket.created_at).total_seconds()),
        "topic": ticket.topic or "–",
        "channel": ticket.channel,
        "channel_label": CHANNEL_LABELS.get(ticket.channel, ticket.channel or "unbekannt"),
        "place": ticket.place or municipality_label(ticket.municipality),
        "municipality": municipality_label(ticket.municipality),
        "unassigned": ticket.municipality == UNASSIGNED,
        "alarm": ticket.alarm_at is not None,
        "emergency_tier_label": TIER_LABELS.get(ticket.emergency_tier or "", ticket.emergency_tier),
        "emergency_kind_label": KIND_LABELS.get(ticket.emergency_kind or "", ticket.emergency_kind),
        "relation_label": RELATION_LABELS.get(ticket.relation, ticket.relation),
        "preview": ticket.preview,
        "claimed_by": names.get(ticket.claimed_by or 0, ""),
        "mine": ticket.claimed_by == advisor.id,
    }
