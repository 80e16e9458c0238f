"""Advisor accounts from the command line.

  python -m advisor.cli create --username anna --name "Anna Schneider" --municipality Dortmund
      [--role advisor|municipality_admin|admin]
      (prints a generated password; or --password-stdin to read one)
  python -m advisor.cli password --username anna      (new generated password)
  python -m advisor.cli role --username anna --role municipality_admin
  python -m advisor.cli list

Roles: "advisor" works the queue of its municipality; "municipality_admin" also sees the
insight report (/insight) of its municipality; "admin" sees the report of all municipalities.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

from advisor import auth
from handoff.models import ROLE_ADVISOR, ROLE_LABELS, ROLES, Advisor
from handoff.service import ensure_schema
from quartierslotse.settings import get_settings
from storage.engine import session_scope

ROLE_HELP = ("Rolle: advisor = Beratung (Warteschlange der eigenen Kommune), "
             "municipality_admin = Kommune – Verwaltung (zusätzlich die Auswertung der eigenen "
             "Kommune), admin = Gesamtverwaltung (Auswertung aller Kommunen)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="advisor.cli", description="Beraterkonten verwalten")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="Konto anlegen")
    create.add_argument("--username", required=True, help="Benutzername für die Anmeldung")
    create.add_argument("--name", required=True, help="Anzeigename, z. B. 'Anna Schneider'")
    create.add_argument("--municipality", required=True, help="Kommune, z. B. Dortmund")
    create.add_argument("--role", choices=ROLES, default=ROLE_ADVISOR,
                        help=f"{ROLE_HELP}; Standard: {ROLE_ADVISOR}")
    create.add_argument("--password-stdin", action="store_true",
                        help="Passwort von der Standardeingabe lesen statt es zu erzeugen")
    password = sub.add_parser("password", help="Neues Passwort setzen")
    password.add_argument("--username", required=True, help="Benutzername des Kontos")
    password.add_argument("--password-stdin", action="store_true",
                          help="Passwort von der Standardeingabe lesen statt es zu erzeugen")
    role = sub.add_parser("role", help="Rolle eines Kontos ändern")
    role.add_argument("--username", required=True, help="Benutzername des Kontos")
    role.add_argument("--role", required=True, choices=ROLES, help=ROLE_HELP)
    sub.add_parser("list", help="Konten auflisten (mit Kommune und Rolle)")
    args = parser.parse_args(argv)
    url = get_settings().database_url
    ensure_schema(url)

    def new_password() -> tuple[str, bool]:
        if args.password_stdin:
            return sys.stdin.readline().rstrip("\n"), False
        return auth.generate_password(), True

    try:
        if args.command == "create":
            secret, generated = new_password()
            auth.create_advisor(url, args.username, args.name, args.municipality, secret,
                                role=args.role)
            print(f"Konto {args.username!r} für {args.municipality} angelegt "
                  f"(Rolle: {ROLE_LABELS[args.role]}).")
            if generated:
                print(f"Passwort: {secret}")
        elif args.command == "password":
            secret, generated = new_password()
            if not auth.set_password(url, args.username, secret):
                print(f"Kein Konto {args.username!r}.", file=sys.stderr)
                return 1
            print(f"Neues Passwort für {args.username!r} gesetzt.")
            if generated:
                print(f"Passwort: {secret}")
        elif args.command == "role":
            if not auth.set_role(url, args.username, args.role):
                print(f"Kein Konto {args.username!r}.", file=sys.stderr)
                return 1
            print(f"Rolle von {args.username!r} ist jetzt: {ROLE_LABELS[args.role]} "
                  f"({args.role}).")
        else:
            with session_scope(url) as session:
                print(f"{'Benutzername':<20} {'Kommune':<20} {'Rolle':<18} Anzeigename")
                for advisor in session.scalars(
                        select(Advisor).order_by(Advisor.municipality, Advisor.username)):
                    inactive = "" if advisor.active else "  (gesperrt)"
                    print(f"{advisor.username:<20} {advisor.municipality:<20} "
                          f"{advisor.role:<18} {advisor.display_name}{inactive}")
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
