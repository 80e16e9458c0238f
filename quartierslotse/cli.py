"""Command line entry point: `quartierslotse <area> <command>` (e.g. `knowledge import`)."""

from __future__ import annotations

import importlib
import sys

# area -> (module with main(argv) -> int, what it does)
AREAS = {
    "run": ("runtime.devserver", "Alles starten (eingebaute Voreinstellungen, make run)"),
    "topology": ("runtime.topology", "Mehrere Rasa-Instanzen mit PostgreSQL, Redis, RabbitMQ"),
    "train": ("runtime.training", "Modell trainieren, wenn sich die Trainingsdaten geändert haben"),
    "nlp": ("bot.nlp", "Deutsche spaCy-Pipeline bauen"),
    "knowledge": ("knowledge.cli", "Wissensdatenbank: init, import, validate, export"),
    "advisor": ("advisor.cli", "Beratungskonsole: Konten anlegen und verwalten"),
    "insight": ("insight.__main__", "Auswertung: ingest, export, review-export"),
    "facts": ("bot.content.cli:facts_main", "Angaben: check (Prüfdaten)"),
    "answers": ("bot.content.cli:answers_main", "Antworten: build, export (Antwortkatalog)"),
}


def usage() -> str:
    lines = ["Verwendung: quartierslotse <Bereich> <Befehl> …", "", "Bereiche:"]
    lines += [f"  {name:<10} {about}" for name, (_, about) in AREAS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0
    area, rest = args[0], args[1:]
    if area not in AREAS:
        print(f"Unbekannter Bereich: {area!r}.\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, _, function = AREAS[area][0].partition(":")
    module = importlib.import_module(module_name)
    return int(getattr(module, function or "main")(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
