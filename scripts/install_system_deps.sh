#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those that are missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v rabbitmq-server >/dev/null 2>&1 || need+=(rabbitmq-server)  # Rasa's event broker (tests/production)
command -v npm >/dev/null 2>&1 || need+=(npm)  # installs axe-core for the accessibility tests (tests/web)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "Installiere Systempakete: ${need[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
