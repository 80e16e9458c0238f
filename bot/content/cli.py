"""`quartierslotse facts check|list` and `quartierslotse answers build|export`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.content import build, catalog, review


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"kein Datum im Format JJJJ-MM-TT: {text!r}") from error


def facts_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="quartierslotse facts",
                                     description="Angaben aus bot/facts.yml prüfen")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="überfällige und bald fällige Prüfungen")
    check.add_argument("--today", type=_day, default=date.today(),
                       help="Stichtag JJJJ-MM-TT (Standard: heute)")
    args = parser.parse_args(argv)
    return review.run(args.today)


def answers_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="quartierslotse answers",
                                     description="Antworttexte bauen und als Katalog ausgeben")
    sub = parser.add_subparsers(dest="command", required=True)
    build_cmd = sub.add_parser("build", help="bot/responses/*.yml -> bot/domain/*.yml")
    build_cmd.add_argument("--check", action="store_true", help="nur prüfen, nichts schreiben")
    export = sub.add_parser("export", help="Antwortkatalog für die Prüfung")
    export.add_argument("--format", choices=("html", "md"), default="md")
    export.add_argument("--output", type=Path, help="Datei (Standard: Ausgabe auf dem Terminal)")
    export.add_argument("--today", type=_day, default=date.today())
    args = parser.parse_args(argv)
    if args.command == "build":
        return build.build(check=args.check)
    return catalog.export(args.format, args.today, args.output)


if __name__ == "__main__":
    sys.exit(facts_main(sys.argv[1:]))
