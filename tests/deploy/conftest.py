"""Fixtures for distributed mode: a private Redis, a PostgreSQL schema of its own, the API and two workers."""

from __future__ import annotations

import os
import secrets

import pytest

from deploy_testing import ARTIFACTS, PG_URL, Cluster, RedisServer, drop_schema, pg_problem

# Short periods so that a lost worker or a lost job is noticed within seconds (production: README).
FAST = {
    "DLGRADE_HEARTBEAT_SECONDS": "0.5",
    "DLGRADE_RECONCILE_SECONDS": "2",
    "DLGRADE_VISIBILITY_TIMEOUT": "4",
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("deploy")


@pytest.fixture(scope="module")
def redis_server(workdir):
    server = RedisServer(workdir).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pg_schema():
    problem = pg_problem()
    if problem:
        pytest.fail(f"PostgreSQL at {PG_URL} is needed (start it as in .ci/run): {problem}")
    schema = f"dlgrade_deploy_{os.getpid()}_{secrets.token_hex(4)}"
    yield schema
    drop_schema(schema)


@pytest.fixture(scope="module")
def cluster(workdir, redis_server, pg_schema):
    """The API in distributed mode and two single-slot workers, all on the same database and broker."""
    env = {
        **FAST,
        "DLGRADE_QUEUE": "celery",
        "DLGRADE_BROKER_URL": redis_server.url,
        "DLGRADE_CELERY_QUEUE": f"q{secrets.token_hex(4)}",
        "DLGRADE_DATABASE_URL": PG_URL,
        "DLGRADE_DATABASE_SCHEMA": pg_schema,
        "DLGRADE_WORKERS": "1",
        "DLGRADE_RATE_LIMIT": "1000",
        "DLGRADE_MAX_CONCURRENT": "1000",
        "DLGRADE_WORKER_HEARTBEAT_FILE": str(workdir / "worker-heartbeat"),  # the HEALTHCHECK reads it
    }
    c = Cluster(env, workdir)
    try:
        c.start_api()
        first, second = c.start_worker(), c.start_worker()
        c.wait_workers({first.pid, second.pid})
        yield c
    finally:
        c.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "deploy-distributed.log").write_text(c.logs())
