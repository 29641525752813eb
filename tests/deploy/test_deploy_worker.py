"""`dlgrade worker` without a broker or processes: what it refuses."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import api.celery_worker
from api.isolation import Isolation
from grader.cli import app

pytestmark = pytest.mark.timeout(60)


def test_worker_refuses_to_start_without_full_isolation(monkeypatch):
    monkeypatch.setattr(api.celery_worker, "probe", lambda: Isolation(False, {"seccomp": False, "rlimits": True}))
    monkeypatch.delenv("DLGRADE_ALLOW_UNSANDBOXED", raising=False)
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "seccomp" in result.output and "DLGRADE_ALLOW_UNSANDBOXED" in result.output


def test_worker_rejects_a_broker_url_that_is_not_redis(monkeypatch):
    monkeypatch.setenv("DLGRADE_BROKER_URL", "amqp://guest@127.0.0.1//")
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "broker_url" in result.output


def test_processes_starting_together_migrate_one_at_a_time(tmp_path):
    """docker compose starts the API and the workers at once on an empty database."""
    import os
    import secrets
    import subprocess
    import sys

    from deploy_testing import PG_URL, ROOT, drop_schema, pg_problem

    assert pg_problem() is None, pg_problem()
    schema = f"dlgrade_migrate_{os.getpid()}_{secrets.token_hex(4)}"
    script = ("import sys; from api.settings import Settings; from api.db import open_database; "
              "open_database(Settings(database_url=sys.argv[1], database_schema=sys.argv[2]))")
    try:
        procs = [subprocess.Popen([sys.executable, "-c", script, PG_URL, schema], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, errors
    finally:
        drop_schema(schema)
