#!/usr/bin/env bash
# Starts PostgreSQL and Redis on their standard local ports when they are not running.
set -euo pipefail
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! port_open 5432; then
  echo "Starte PostgreSQL …"
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
fi
if ! port_open 6379; then
  echo "Starte Redis …"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/quartierslotse.log
fi
if command -v rabbitmq-server >/dev/null 2>&1 && ! port_open 5672; then
  echo "Starte RabbitMQ …"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do port_open 5672 && break; sleep 1; done
  port_open 5672 || echo "RabbitMQ (5672) nicht erreichbar – die Tests der Produktions-Topologie starten es erneut." >&2
fi
for _ in $(seq 1 30); do port_open 5432 && port_open 6379 && exit 0; sleep 1; done
echo "PostgreSQL (5432) oder Redis (6379) nicht erreichbar." >&2
exit 1
