"""Command line entry point: `quartierslotse <area> <command>` (e.g. `knowledge import`)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("Verwendung: quartierslotse knowledge {init,import,validate,export} …")
        return 0
    area, rest = args[0], args[1:]
    if area == "knowledge":
        from knowledge.cli import main as knowledge_main

        return knowledge_main(rest)
    print(f"Unbekannter Bereich: {area!r}. Verfügbar: knowledge", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
