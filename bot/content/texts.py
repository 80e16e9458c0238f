"""Texts with figures that Python code sends (actions, the resilience fallback), rendered
at run time from bot/facts.yml with the same {{key}} templates as the domain responses."""

from __future__ import annotations

from typing import Protocol

from bot.content.facts import render

PFLEGETELEFON = ("{{phones.pflegetelefon.number}} (Montag bis Donnerstag "
                 "{{phones.pflegetelefon.from_hour}} bis {{phones.pflegetelefon.to_hour}} Uhr)")
BEHOERDENNUMMER = ("{{phones.behoerdennummer.number}} (Montag bis Freitag "
                   "{{phones.behoerdennummer.from_hour}} bis {{phones.behoerdennummer.to_hour}} Uhr"
                   ", nicht in jeder Stadt)")
TEMPLATES = {
    # office search without a result, place not found
    "pflegetelefon_line": "Bundesweit hilft auch das Pflegetelefon: " + PFLEGETELEFON + ".",
    # handoff: no office phone and no city hotline known
    "national_contact_line": ("Sie erreichen das Pflegetelefon des Bundesfamilienministeriums "
                              "unter " + PFLEGETELEFON + ". Viele Städte erreichen Sie auch über "
                              "die Behördennummer " + BEHOERDENNUMMER + "."),
    # action server down and no municipality hotline (channels/action_guard.py)
    "fallback_hotline": ("Pflegetelefon des Bundesfamilienministeriums " + PFLEGETELEFON
                         + "; in vielen Städten auch die Behördennummer "
                         + BEHOERDENNUMMER),
}


def text(name: str) -> str:
    """One of the TEMPLATES, rendered from the facts file."""
    return render(TEMPLATES[name])


class _HasFallback(Protocol):
    # read-only, so a frozen Settings dataclass satisfies it
    @property
    def fallback_hotline(self) -> str: ...


def fallback_hotline(settings: _HasFallback) -> str:
    """QL_FALLBACK_HOTLINE if an operator set one, else the national lines from the facts."""
    return settings.fallback_hotline or text("fallback_hotline")
