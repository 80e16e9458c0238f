"""`quartierslotse knowledge init|import|validate|export` (messages in German)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knowledge.document import ValidationFailed


def _database_url(value: str | None) -> str:
    if value:
        return value
    from quartierslotse.settings import get_settings

    return get_settings().database_url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartierslotse knowledge",
        description="Wissensdatenbank: Büros, Gebiete, Sprechzeiten",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="Schema anlegen/migrieren, Startdaten laden")
    init.add_argument("--database-url")
    imp = sub.add_parser("import", help="Dateien prüfen und importieren (alles oder nichts)")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--database-url")
    val = sub.add_parser("validate", help="Dateien nur prüfen")
    val.add_argument("files", nargs="+", type=Path)
    exp = sub.add_parser("export", help="Eine Kommune als YAML oder CSV ausgeben")
    exp.add_argument("--municipality", required=True)
    exp.add_argument("--format", choices=("yaml", "csv"), default="yaml")
    exp.add_argument("--output", type=Path)
    exp.add_argument("--database-url")
    return parser


def _report_issues(exc: ValidationFailed) -> int:
    print(f"{len(exc.issues)} Fehler gefunden – nichts wurde geändert:", file=sys.stderr)
    for issue in exc.issues:
        print(f"  {issue}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace) -> int:
    from knowledge.importer import import_files, validate_files

    if args.command == "init":
        from knowledge.bootstrap import ensure_database

        url = _database_url(args.database_url)
        ensure_database(url)
        print(f"Wissensdatenbank bereit: {url}")
        return 0
    if args.command == "validate":
        specs = validate_files(args.files)
        for spec in specs:
            print(f"OK: {spec.name} – {len(spec.areas)} Gebiete, {len(spec.offices)} Büros")
        return 0
    if args.command == "import":
        from storage.schema import upgrade

        url = _database_url(args.database_url)
        upgrade(url)
        print(import_files(args.files, url).summary())
        return 0
    from knowledge.db import open_session
    from knowledge.exporter import UnknownMunicipality, export_text

    try:
        with open_session(_database_url(args.database_url)) as session:
            text = export_text(session, args.municipality, args.format)
    except UnknownMunicipality:
        print(f"Kommune {args.municipality!r} ist nicht in der Datenbank.", file=sys.stderr)
        return 1
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ValidationFailed as exc:
        return _report_issues(exc)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
