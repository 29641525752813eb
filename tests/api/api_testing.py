"""Helpers for the HTTP service tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from api.accounts import create_token
from api.isolation import probe
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
ARTIFACTS = ROOT / "tests" / "artifacts"
PG_URL = os.environ.get("DLGRADE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# Students are refused without full isolation unless the instructor opts out: opt out only where needed.
ALLOW_UNSANDBOXED = not probe().full


def pg_reachable() -> str | None:
    """None when the local PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def make_settings(database: dict, **overrides) -> Settings:
    values = dict(workers=2, rate_limit=1000, check_rate_limit=1000, max_concurrent=1000, allow_unsandboxed=ALLOW_UNSANDBOXED,
                  max_wait_seconds=20.0)
    values.update(database)
    values.update(overrides)
    return Settings(**values)


class Service:
    """The app running in-process with its lifespan, and helpers to act as students and instructors."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def token(self, role: str = "student", name: str = "s001") -> str:
        with self.app.state.session_factory.begin() as db:
            return create_token(db, role, name)

    def auth(self, role: str = "student", name: str = "s001") -> dict:
        return {"Authorization": f"Bearer {self.token(role, name)}"}

    def wait_done(self, submission_id: int, headers: dict, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.client.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
            if body["status"] in ("done", "error"):
                return body
            time.sleep(0.1)
        raise AssertionError(f"submission {submission_id} not graded within {timeout} s")


def corpus_source(exercise: str, name: str) -> str:
    return (CORPUS / exercise / name).read_text(encoding="utf-8")
