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
