"""`dlgrade worker` without a broker or processes: what it refuses."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import api.dispatch.worker
from api.isolation import Isolation
from grader.cli.app import app

pytestmark = pytest.mark.timeout(60)


def test_worker_refuses_to_start_without_full_isolation(monkeypatch):
    monkeypatch.setattr(api.dispatch.worker, "probe", lambda: Isolation(False, {"seccomp": False, "rlimits": True}))
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


def test_container_healthcheck_of_a_worker_reads_its_heartbeat_file(tmp_path, monkeypatch):
    import importlib.util
    import os
    import time

    from deploy_testing import ROOT

    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)
    beat = tmp_path / "alive"
    monkeypatch.setenv("DLGRADE_WORKER_HEARTBEAT_FILE", str(beat))
    assert "no worker heartbeat" in healthcheck.check_worker()
    beat.touch()
    assert healthcheck.check_worker() is None
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert "old" in healthcheck.check_worker()
