"""Command line: `python -m insight ingest|export|review-export|demo`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from insight.config import InsightConfig
from insight.report import ReportFilter


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"Datum im Format JJJJ-MM-TT erwartet, nicht {value!r}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m insight",
                                     description="Anonyme Auswertung der Quartierslotse-Hotline")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ingest", help="neue Ereignisse aus dem Tracker-Store übernehmen")
    exp = sub.add_parser("export", help="Bericht als CSV oder XLSX exportieren")
    exp.add_argument("--from", dest="date_from", type=_date, required=True)
    exp.add_argument("--to", dest="date_to", type=_date, required=True)
    exp.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    exp.add_argument("--municipality", default=None, help="nur diese Kommune")
    exp.add_argument("--period", choices=("day", "week", "month"), default="month")
    exp.add_argument("--out", type=Path, default=None,
                     help="Ausgabedatei (Standard: insight-<von>-<bis>.<format>)")
    rev = sub.add_parser("review-export",
                         help="geprüfte Nachrichten als Rasa-NLU-Daten exportieren")
    rev.add_argument("--out", type=Path, required=True)
    rev.add_argument("--municipality", default=None)
    demo = sub.add_parser("demo",
                          help="synthetische Gespräche in einen leeren Tracker-Store schreiben")
    demo.add_argument("--conversations", type=int, default=2000)
    args = parser.parse_args(argv)

    from insight.service import Insight

    config = InsightConfig.from_settings()
    insight = Insight(config)
    if args.command == "ingest":
        stats = insight.ingest()
        print(f"{stats.events} Ereignisse verarbeitet: {stats.conversations} neue Gespräche, "
              f"{stats.messages} Nachrichten, {stats.review_items} in die Prüfliste "
              f"({stats.seconds:.1f} s).")
    elif args.command == "export":
        from insight.export import write

        try:
            flt = ReportFilter(args.date_from, args.date_to, args.municipality, args.period,
                               config.timezone)
        except ValueError as exc:
            parser.error(str(exc))
        report, tables = insight.report(flt)
        out = args.out or Path(f"insight-{args.date_from}-{args.date_to}.{args.format}")
        write(report, tables, insight.disclosure, args.format, out)
        print(f"Bericht geschrieben: {out}")
    elif args.command == "review-export":
        from insight.review import export_nlu

        insight.ingest()
        result = export_nlu(insight.target, args.out, municipality=args.municipality)
        print(f"{result.examples} Beispiele für {result.intents} Absichten geschrieben: "
              f"{result.path} (schon vorhanden: {result.skipped_existing}, "
              f"widersprüchlich: {result.skipped_conflicts}).")
    elif args.command == "demo":
        import sqlalchemy as sa

        from insight.synthetic import generate

        source = insight.source
        if sa.inspect(source).has_table("events"):
            with source.connect() as conn:
                if conn.execute(sa.text("SELECT count(*) FROM events")).scalar():
                    print("Der Tracker-Store ist nicht leer; Demo-Daten nur in einen leeren.",
                          file=sys.stderr)
                    return 1
        expected = generate(source, conversations=args.conversations)
        print(f"{expected.conversations} Gespräche ({expected.events} Ereignisse) geschrieben.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
