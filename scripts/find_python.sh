#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8-3.10).
# Order: $PYTHON, python3.10 on PATH, pyenv's installed 3.10.x, common install locations.
set -euo pipefail
is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
command -v pyenv >/dev/null 2>&1 && pyenv_root="$(pyenv root 2>/dev/null || echo "$pyenv_root")"
for dir in $(ls -d "$pyenv_root"/versions/3.10* 2>/dev/null | sort -rV); do candidates+=("$dir/bin/python3.10"); done
candidates+=(/usr/local/bin/python3.10 /usr/bin/python3.10 /opt/python3.10/bin/python3.10)
for candidate in "${candidates[@]}"; do
  if [ -x "$candidate" ] && is_310 "$candidate"; then echo "$candidate"; exit 0; fi
done
echo "Kein Python 3.10 gefunden (Rasa 3.6 braucht 3.8-3.10). Installieren Sie es z. B. mit 'pyenv install 3.10' oder setzen Sie PYTHON=/pfad/zu/python3.10." >&2
exit 1
