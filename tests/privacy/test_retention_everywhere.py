"""Retention runs in every topology from one job definition (privacy/retention.py)."""

from __future__ import annotations

import inspect

import yaml

from privacy import retention
from quartierslotse.settings import PROJECT_ROOT
from runtime import devserver, topology


def test_compose_runs_the_retention_loop() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker" / "compose.yml").read_text())
    service = compose["services"]["retention"]
    assert service["command"] == retention.LOOP_COMMAND
    assert service["restart"] == "unless-stopped"
    # it reaches the same databases as Rasa and the console
    env = service["environment"]
    assert env["QL_TRACKER_STORE_URL"] == compose["services"]["rasa-1"]["environment"][
        "QL_TRACKER_STORE_URL"]
    assert env["QL_DATABASE_URL"] == compose["services"]["console"]["environment"][
        "QL_DATABASE_URL"]


def test_helm_has_an_hourly_cronjob_with_the_run_command() -> None:
    documents = list(yaml.safe_load_all((PROJECT_ROOT / "docker" / "helm" / "extras.yaml")
                                        .read_text()))
    job = next(d for d in documents if d and d.get("kind") == "CronJob")
    assert job["spec"]["schedule"] == retention.CRON_SCHEDULE
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == retention.RUN_COMMAND
    names = {item["name"] for item in container["env"]}
    assert {"QL_DATABASE_URL", "QL_TRACKER_STORE_URL"} <= names


def test_make_run_and_the_local_cluster_start_the_same_job() -> None:
    for module in (devserver.main, topology._run):
        source = inspect.getsource(module)
        assert "from privacy.retention import start_background" in source
        assert "start_background(" in source

