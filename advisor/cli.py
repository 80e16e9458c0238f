"""Advisor accounts from the command line.

  python -m advisor.cli create --username anna --name "Anna Schneider" --municipality Dortmund
      (prints a generated password; or --password-stdin to read one)
  python -m advisor.cli password --username anna      (new generated password)
  python -m advisor.cli list
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select

from advisor import auth
from handoff.db import session_scope
from handoff.models import Advisor
from handoff.service import ensure_schema
from quartierslotse.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="advisor.cli", description="Beraterkonten verwalten")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="Konto anlegen")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="Anzeigename, z. B. 'Anna Schneider'")
    create.add_argument("--municipality", required=True, help="Kommune, z. B. Dortmund")
    create.add_argument("--password-stdin", action="store_true")
    password = sub.add_parser("password", help="Neues Passwort setzen")
    password.add_argument("--username", required=True)
    password.add_argument("--password-stdin", action="store_true")
    sub.add_parser("list", help="Konten auflisten")
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
            auth.create_advisor(url, args.username, args.name, args.municipality, secret)
            print(f"Konto {args.username!r} für {args.municipality} angelegt.")
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
        else:
            with session_scope(url) as session:
                for advisor in session.scalars(select(Advisor).order_by(Advisor.municipality)):
                    print(f"{advisor.username:<20} {advisor.municipality:<20} {advisor.display_name}")
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
