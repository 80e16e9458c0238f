"""The production topology from local processes: nginx in front of several Rasa replicas.

    make run-cluster      (= python -m runtime.topology run)

starts, on this machine, what docker/compose.yml starts in containers:

    nginx (public port) ──► Rasa replica 1 … n ──► action server (through each replica's
                                   │                 ActionGuard, channels/action_guard.py)
                                   ├─ SQL tracker store   ─► PostgreSQL (or SQLite)
                                   ├─ lock store          ─► Redis
                                   └─ event broker (Pika) ─► RabbitMQ
    nginx (console port) ──► advisor console;  nginx "/" ──► demo page with the widget

Every process is started from its definition in `runtime.services` (the one place
that says how a service starts); this module only chooses ports, databases and the number
of replicas, and renders the nginx configuration from docker/nginx/quartierslotse.conf.template
(the same template the Compose file's nginx uses).

`python -m runtime.topology exec <rasa|actions|console|web>` is the container entry
point: it renders endpoints/credentials from the environment and replaces itself with the
service's command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from quartierslotse.settings import PROJECT_ROOT, Settings, get_settings
from runtime import processes, services, training
from runtime.processes import RunningService
from runtime.rasa_endpoints import write_credentials, write_endpoints
from runtime.services import Service

NGINX_TEMPLATE = PROJECT_ROOT / "docker" / "nginx" / "quartierslotse.conf.template"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
# no telemetry from a municipal service (also set in docker/Dockerfile)
RASA_ENV = {"RASA_TELEMETRY_ENABLED": "false"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- backing services


class MissingService(RuntimeError):
    pass


def ensure_backing_services(postgres: bool, redis: bool, rabbitmq: bool) -> None:
    """Use the local servers when they run; otherwise start (or install) them, and say so."""
    missing = [(postgres and not port_open("127.0.0.1", 5432)),
               (redis and not port_open("127.0.0.1", 6379))]
    if any(missing):
        script = PROJECT_ROOT / "scripts" / "ensure_services.sh"
        print("PostgreSQL/Redis laufen nicht – starte sie mit scripts/ensure_services.sh …")
        if not shutil.which("pg_ctlcluster") or not shutil.which("redis-server"):
            subprocess.run([str(PROJECT_ROOT / "scripts" / "install_system_deps.sh")], check=True)
        subprocess.run([str(script)], check=True)
    if rabbitmq and not port_open("127.0.0.1", 5672):
        print("RabbitMQ läuft nicht – starte rabbitmq-server …")
        if not shutil.which("rabbitmq-server"):
            raise MissingService(
                "RabbitMQ (Port 5672) fehlt. Installieren: apt-get install rabbitmq-server – "
                "oder ohne Event-Broker starten (--no-broker).")
        subprocess.run(["rabbitmq-server", "-detached"], check=False)
        for _ in range(60):
            if port_open("127.0.0.1", 5672):
                break
            time.sleep(1)
        else:
            raise MissingService("RabbitMQ antwortet nicht auf Port 5672.")
    if not shutil.which("nginx"):
        print("nginx fehlt – installiere nginx-light …")
        subprocess.run([str(PROJECT_ROOT / "scripts" / "install_system_deps.sh")], check=True)


def _admin_connection(admin_url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    return connection


def create_database(name: str, admin_url: str = PG_ADMIN_URL, fresh: bool = False) -> str:
    """Create the PostgreSQL database `name` (dropped first when `fresh`); return its URL."""
    if fresh:
        drop_database(name, admin_url)
    connection = _admin_connection(admin_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    parts = urlsplit(admin_url)
    return parts._replace(path=f"/{name}").geturl()


def drop_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    connection = _admin_connection(admin_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def _queue_call(name: str, delete: bool) -> int:
    import asyncio

    import aio_pika

    async def call() -> int:
        connection = await aio_pika.connect(AMQP_URL)
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            count = int(queue.declaration_result.message_count or 0)
            if delete:
                await queue.delete(if_unused=False, if_empty=False)
            return count
        finally:
            await connection.close()

    return asyncio.run(call())


def queue_message_count(name: str) -> int:
    """Messages waiting in a RabbitMQ queue (Rasa's event broker queue)."""
    return _queue_call(name, delete=False)


def delete_queue(name: str) -> None:
    with contextlib.suppress(Exception):
        _queue_call(name, delete=True)


# --------------------------------------------------------------------------- nginx


def render_nginx_site(
    public_port: int,
    rasa_servers: list[str],
    console_server: str = "",
    console_port: int = 0,
    web_server: str = "",
    api_listen: str = "",
) -> str:
    """The site configuration (upstreams + servers) from the shared template.
    `api_listen`: the internal listener (e.g. "127.0.0.1:8002") for Rasa's HTTP API, used by
    the console and operators; never the public port."""
    template = NGINX_TEMPLATE.read_text()
    api_block = ""
    if api_listen:
        api_block = (
            "# Internal only: Rasa's HTTP API (token-protected by Rasa) for the console.\n"
            "server {\n"
            f"    listen {api_listen};\n"
            "    proxy_next_upstream error timeout http_502 http_503;\n"
            "    proxy_connect_timeout 2s;\n"
            "    location /webhooks/action_guard/ {\n"
            "        return 403;\n"
            "    }\n"
            "    location / {\n"
            "        proxy_pass http://rasa;\n"
            "        include quartierslotse_proxy_headers;\n"
            "    }\n"
            "}\n"
        )
    console_block = ""
    if console_server and console_port:
        console_block = (
            f"upstream console {{\n    server {console_server};\n}}\n\n"
            "server {\n"
            f"    listen {console_port};\n"
            "    location / {\n"
            "        proxy_pass http://console;\n"
            "        include quartierslotse_proxy_headers;\n"
            "    }\n"
            "}\n"
        )
    if web_server:
        web_upstream = f"upstream web {{\n    server {web_server};\n}}\n"
        web_location = "proxy_pass http://web;\n        include quartierslotse_proxy_headers;"
    else:
        web_upstream = ""
        web_location = "return 404;"
    return (
        template.replace("@PUBLIC_PORT@", str(public_port))
        .replace("@RASA_SERVERS@", "\n".join(
            f"    server {server} max_fails=1 fail_timeout=5s;" for server in rasa_servers))
        .replace("@WEB_UPSTREAM@", web_upstream)
        .replace("@WEB_LOCATION@", web_location)
        .replace("@API_BLOCK@", api_block)
        .replace("@CONSOLE_BLOCK@", console_block)
    )


PROXY_HEADERS = NGINX_TEMPLATE.parent / "quartierslotse_proxy_headers"
COMPOSE_NGINX = NGINX_TEMPLATE.parent / "compose.conf"


def render_compose_nginx() -> str:
    """docker/nginx/compose.conf: the template with the Compose service names."""
    header = ("# Generated from quartierslotse.conf.template by "
              "`python -m runtime.topology render-nginx`; do not edit.\n")
    return header + render_nginx_site(
        80, ["rasa-1:5005", "rasa-2:5005"], console_server="console:5080", console_port=8001,
        web_server="widget:8080", api_listen="8002")


def write_local_nginx(directory: Path, site: str) -> Path:
    """A complete nginx.conf for an unprivileged nginx in `directory` (no system paths)."""
    directory.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROXY_HEADERS, directory / "quartierslotse_proxy_headers")
    (directory / "site.conf").write_text(site)
    conf = directory / "nginx.conf"
    conf.write_text(
        "worker_processes 1;\n"
        f"pid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log {directory / 'access.log'};\n"
        f"    client_body_temp_path {directory / 'tmp/client_body'};\n"
        f"    proxy_temp_path {directory / 'tmp/proxy'};\n"
        f"    fastcgi_temp_path {directory / 'tmp/fastcgi'};\n"
        f"    uwsgi_temp_path {directory / 'tmp/uwsgi'};\n"
        f"    scgi_temp_path {directory / 'tmp/scgi'};\n"
        "    default_type application/octet-stream;\n"
        f"    include {directory / 'site.conf'};\n"
        "}\n"
    )
    return conf


def nginx_service(conf: Path, public_port: int) -> Service:
    return Service(
        name="nginx",
        command=["nginx", "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
        health_url=f"http://127.0.0.1:{public_port}/nginx-health",
        public_url=f"http://127.0.0.1:{public_port}",
    )


# --------------------------------------------------------------------------- the cluster


@dataclass
class Cluster:
    settings: Settings  # as a client sees the system: rasa_url is nginx
    replica_settings: list[Settings]
    services: dict[str, tuple[Service, Settings]]
    log_dir: Path
    api_url: str = ""  # nginx's internal listener for Rasa's HTTP API (console, operators)
    broker_queue: str = ""
    running: dict[str, RunningService] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.settings.rasa_url

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.replica_settings[index].rasa_port}"

    @property
    def replica_names(self) -> list[str]:
        return [f"Rasa-{i + 1}" for i in range(len(self.replica_settings))]

    def pid(self, name: str) -> int:
        return self.running[name].process.pid

    def start(self, names: list[str], timeout: float = 300.0) -> float:
        """Start the named services (in parallel) and wait until all are healthy."""
        started = time.monotonic()
        batch = []
        for name in names:
            service, settings = self.services[name]
            running = processes.start(service, settings, self.log_dir)
            self.running[name] = running
            batch.append(running)
        for running in batch:
            processes.wait_healthy(running, timeout)
        return time.monotonic() - started

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill a service abruptly (a crash, not a shutdown)."""
        running = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.process.pid, sig)
        running.process.wait(timeout=30)

    def stop(self) -> None:
        for name in reversed(list(self.running)):
            processes.stop(self.running.pop(name))


def cluster_settings(
    base: Settings,
    var_dir: Path,
    database_url: str,
    tracker_store_url: str,
    redis_url: str,
    broker_url: str,
    public_port: int,
    console_port: int,
    action_port: int,
    web_port: int,
    **overrides: object,
) -> Settings:
    public = f"http://127.0.0.1:{public_port}"
    return replace(
        base,
        var_dir=var_dir,
        database_url=database_url,
        tracker_store_url=tracker_store_url,
        redis_url=redis_url,
        event_broker_url=broker_url,
        rasa_port=public_port,
        rasa_url=public,
        widget_server_url=public,
        action_port=action_port,
        action_server_url=f"http://127.0.0.1:{action_port}/webhook",
        console_port=console_port,
        console_url=f"http://127.0.0.1:{console_port}",
        web_port=web_port,
        trusted_proxies="127.0.0.1",
        **overrides,  # type: ignore[arg-type]
    )


def build_cluster(
    base: Settings,
    var_dir: Path,
    replicas: int = 2,
    store: str = "postgres",
    database: str = "quartierslotse_cluster",
    broker: bool = True,
    extras: bool = True,
    public_port: int = 0,
    console_port: int = 0,
    fresh_database: bool = False,
    broker_queue: str = "",
    model: Path | None = None,
    **overrides: object,
) -> Cluster:
    """Prepare databases, model and configuration of the topology (starts nothing)."""
    ensure_backing_services(postgres=store == "postgres", redis=True, rabbitmq=broker)
    var_dir.mkdir(parents=True, exist_ok=True)
    if store == "postgres":
        database_url = create_database(database, fresh=fresh_database)
        tracker_url = database_url
    elif store == "sqlite":
        database_url = f"sqlite:///{var_dir / 'quartierslotse.db'}"
        tracker_url = f"sqlite:///{var_dir / 'tracker.db'}"
    else:
        raise ValueError(f"unknown store {store!r} (postgres or sqlite)")
    broker_url = ""
    if broker:
        broker_url = AMQP_URL + (f"?queue={broker_queue}" if broker_queue else "")
    settings = cluster_settings(
        base, var_dir, database_url, tracker_url, REDIS_URL, broker_url,
        public_port=public_port or free_port(), console_port=console_port or free_port(),
        action_port=free_port(), web_port=free_port(), **overrides,
    )
    from knowledge.bootstrap import ensure_database

    ensure_database(settings.database_url)
    model = model or training.ensure_trained(settings)

    table: dict[str, tuple[Service, Settings]] = {
        "Action-Server": (services.action_server(settings), settings)}
    credentials = write_credentials(settings, var_dir / "credentials.yml", resilient=True)
    replica_settings = []
    for index in range(replicas):
        replica = replace(settings, rasa_port=free_port())
        replica_settings.append(replica)
        endpoints = write_endpoints(replica, var_dir / f"rasa-{index + 1}" / "endpoints.yml",
                                    resilient=True)
        service = services.rasa_server(replica, model, endpoints, credentials)
        service = replace(service, name=f"Rasa-{index + 1}",
                          env={**service.env, **RASA_ENV})
        table[f"Rasa-{index + 1}"] = (service, replica)
    console = web = ""
    api_port = free_port()
    if extras:
        internal = free_port()
        console_settings = replace(settings, console_port=internal,
                                   console_url=f"http://127.0.0.1:{internal}",
                                   rasa_url=f"http://127.0.0.1:{api_port}")
        console_service = services.console_server(console_settings)
        table["Beratungskonsole"] = (
            replace(console_service, public_url=settings.console_url), console_settings)
        console = f"127.0.0.1:{internal}"
        web_service = services.web_server(settings)
        table["Demo-Seite"] = (replace(web_service, public_url=settings.rasa_url + "/"), settings)
        web = f"127.0.0.1:{settings.web_port}"
    site = render_nginx_site(
        settings.rasa_port, [f"127.0.0.1:{r.rasa_port}" for r in replica_settings],
        console_server=console, console_port=settings.console_port if extras else 0,
        web_server=web, api_listen=f"127.0.0.1:{api_port}")
    conf = write_local_nginx(var_dir / "nginx", site)
    table["nginx"] = (nginx_service(conf, settings.rasa_port), settings)
    return Cluster(settings, replica_settings, table, var_dir / "logs",
                   api_url=f"http://127.0.0.1:{api_port}",
                   broker_queue=broker_queue if broker else "")


def start_cluster(cluster: Cluster, timeout: float = 420.0) -> Cluster:
    """Start everything: action server and all replicas in parallel, then the rest."""
    try:
        cluster.timings["action_server"] = cluster.start(["Action-Server"], timeout)
        cluster.timings["rasa_replicas"] = cluster.start(cluster.replica_names, timeout)
        rest = [name for name in cluster.services
                if name not in cluster.running and name != "nginx"]
        if rest:
            cluster.timings["extras"] = cluster.start(rest, timeout)
        cluster.timings["nginx"] = cluster.start(["nginx"], timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


# --------------------------------------------------------------------------- commands


def _run(args: argparse.Namespace) -> int:
    from security.secrets import load_local_secrets  # security: local tokens in var/secrets.env

    load_local_secrets()
    base = get_settings()
    var_dir = Path(args.var_dir) if args.var_dir else base.var_dir / "cluster"
    print(f"Bereite die Topologie vor ({args.replicas} Rasa-Repliken, Speicher: {args.store}) …")
    cluster = build_cluster(
        base, var_dir, replicas=args.replicas, store=args.store, broker=not args.no_broker,
        public_port=args.port, console_port=args.console_port)
    started = time.monotonic()
    start_cluster(cluster)
    from privacy.retention import start_background  # privacy: the same hourly job as make run

    start_background(cluster.settings)
    print(f"Alle Dienste laufen (nach {time.monotonic() - started:.0f} s):")
    for name, running in cluster.running.items():
        print(f"  {name:<17} {running.service.public_url}")
    print(f"  {'Öffentlich':<17} {cluster.url}  (nginx vor {len(cluster.replica_names)} Repliken)")
    print(f"Logs: {cluster.log_dir}. Beenden mit Strg+C.")
    # like `make run`: a service that dies or hangs is restarted, the others keep running
    processes.supervise(processes.Supervisor(
        list(cluster.running.values()), cluster.log_dir,
        hang_seconds=base.supervisor_hang_seconds, start_timeout=420.0,
        backoff_max=base.supervisor_max_backoff_seconds))
    return 0


def _exec(args: argparse.Namespace) -> int:
    """Container entry point: configuration from the environment, then exec the service."""
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if args.service == "rasa":
        endpoints = write_endpoints(settings, settings.var_dir / "endpoints.yml", resilient=True)
        credentials = write_credentials(settings, settings.var_dir / "credentials.yml",
                                        resilient=True)
        service = services.rasa_server(settings, training.model_path(settings), endpoints,
                                       credentials)
    elif args.service == "actions":
        service = services.action_server(settings)
    elif args.service == "console":
        service = services.console_server(settings)
    elif args.service == "web":
        service = services.web_server(settings)
        if "--host" not in service.command:
            service = replace(service, command=[*service.command, "--host", "0.0.0.0"])
    elif args.service == "migrate":
        from knowledge.bootstrap import ensure_database

        ensure_database(settings.database_url)
        print("Wissensdatenbank bereit.")
        return 0
    else:  # pragma: no cover - argparse restricts the choices
        return 2
    env = services.child_environment(settings, service.env)
    os.chdir(PROJECT_ROOT)
    os.execvpe(service.command[0], service.command, env)
    return 0  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.topology")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the multi-replica topology locally")
    run.add_argument("--replicas", type=int, default=2)
    run.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    run.add_argument("--no-broker", action="store_true", help="without RabbitMQ")
    run.add_argument("--port", type=int, default=8000, help="public port (nginx)")
    run.add_argument("--console-port", type=int, default=8001)
    run.add_argument("--var-dir", default="")
    run.set_defaults(handler=_run)
    render = commands.add_parser("render-nginx", help="write docker/nginx/compose.conf")
    render.set_defaults(handler=lambda _: COMPOSE_NGINX.write_text(render_compose_nginx()) and 0)
    exe = commands.add_parser("exec", help="container entry point")
    exe.add_argument("service", choices=["rasa", "actions", "console", "web", "migrate"])
    exe.set_defaults(handler=_exec)
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
