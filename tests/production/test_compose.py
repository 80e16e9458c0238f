"""Static checks of docker/ (no Docker engine runs on the CI machines).

- docker/compose.yml against the Compose specification schema (compose_spec.json, taken
  unchanged from the PyPI package docker-compose 1.29.2, Apache-2.0),
- cross-checks the schema cannot see: build targets exist in docker/Dockerfile, every
  depends_on names a service, two Rasa replicas behind nginx, shared stores configured,
- docker/nginx/compose.conf is the rendering of the shared template and `nginx -t` accepts it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from quartierslotse.settings import PROJECT_ROOT, settings_from_env
from runtime import topology
from runtime.rasa_endpoints import render_endpoints

DOCKER = PROJECT_ROOT / "docker"
SCHEMA = Path(__file__).with_name("compose_spec.json")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def test_compose_file_follows_the_compose_specification(compose: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(compose, schema)


def test_build_targets_exist_in_the_dockerfile(compose: dict) -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, flags=re.MULTILINE))
    assert {"rasa", "actions", "console", "widget"} <= stages
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert build["target"] in stages, name
            assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == (
                DOCKER / "Dockerfile").resolve()


def test_dependencies_name_existing_services(compose: dict) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_two_rasa_replicas_share_tracker_lock_store_and_broker(compose: dict) -> None:
    services = compose["services"]
    replicas = [name for name in services if name.startswith("rasa-")]
    assert len(replicas) == 2
    for name in replicas:
        env = services[name]["environment"]
        assert env["QL_TRACKER_STORE_URL"].startswith("postgresql://")
        assert env["QL_REDIS_URL"].startswith("redis://redis:")
        assert env["QL_EVENT_BROKER_URL"].startswith("amqp://")
    for name in ("postgres", "redis", "rabbitmq", "nginx", "actions", "console", "widget"):
        assert name in services


VARIABLES = {"POSTGRES_PASSWORD": "pw", "RABBITMQ_PASSWORD": "pw", "QL_RASA_TOKEN": "token"}


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} interpolation."""

    def substitute(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3) or ""
        if name in VARIABLES:
            return VARIABLES[name]
        assert kind != "?", f"{name} is required"
        return rest if kind == "-" else ""

    return re.sub(r"\$\{(\w+)(?::([?-])([^}]*))?\}", substitute, value)


def test_rasa_endpoints_render_from_the_compose_environment(compose: dict) -> None:
    env = {key: interpolate(str(value))
           for key, value in compose["services"]["rasa-1"]["environment"].items()}
    endpoints = render_endpoints(settings_from_env(env), resilient=True)
    store_type = endpoints["tracker_store"]["type"]
    assert store_type == "channels.rasa_stores.ResilientSQLTrackerStore"
    assert endpoints["tracker_store"]["url"] == "postgres"
    assert endpoints["lock_store"]["type"] == "channels.rasa_stores.AtomicRedisLockStore"
    assert endpoints["lock_store"]["url"] == "redis"
    assert endpoints["event_broker"]["type"] == "pika"
    assert endpoints["event_broker"]["url"] == "rabbitmq"
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5005/webhooks/action_guard/webhook"


def test_compose_nginx_config_is_rendered_from_the_template() -> None:
    assert (DOCKER / "nginx" / "compose.conf").read_text() == topology.render_compose_nginx(), (
        "run: python -m runtime.topology render-nginx")


def test_nginx_accepts_the_compose_config(tmp_path: Path) -> None:
    site = topology.render_compose_nginx()
    for host in ("rasa-1", "rasa-2", "console", "widget"):
        site = site.replace(f"server {host}:", "server 127.0.0.1:")
    site = site.replace("listen 80;", "listen 127.0.0.1:18080;").replace(
        "listen 8001;", "listen 127.0.0.1:18081;")
    conf = topology.write_local_nginx(tmp_path, site)
    result = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
