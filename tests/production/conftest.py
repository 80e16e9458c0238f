"""One multi-replica topology (nginx, 2 Rasa replicas, action server, PostgreSQL, Redis,
RabbitMQ) per test module that asks for it; own PostgreSQL database and RabbitMQ queue,
both removed afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from quartierslotse.settings import get_settings
from runtime import topology


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])[-1]


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[topology.Cluster]:
    suffix = uuid.uuid4().hex[:8]
    database = f"ql_test_cluster_{suffix}"
    queue = f"ql_test_events_{suffix}"
    built = topology.build_cluster(
        get_settings(), tmp_path_factory.mktemp("cluster"), replicas=2, store="postgres",
        database=database, broker=True, extras=False, fresh_database=True, broker_queue=queue,
        model=trained_model, rasa_token="cluster-test-token", default_municipality="Dortmund",
        action_timeout=5, rate_limit_messages=1000, rate_limit_per_ip=10000,
    )
    try:
        topology.start_cluster(built)
        yield built
    finally:
        built.stop()
        topology.delete_queue(queue)
        topology.drop_database(database)
