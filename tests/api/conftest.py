"""Fixtures for the HTTP service: the real app on a real SQLite file and on the local PostgreSQL."""

from __future__ import annotations

import os
import secrets

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api_testing import PG_URL, Service, drop_schema, make_settings, pg_reachable


@pytest.fixture(scope="session")
def pg_available() -> None:
    problem = pg_reachable()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable: {problem}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> dict:
    """Settings for a fresh, empty database: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    if request.param == "sqlite":
        yield {"database_url": f"sqlite:///{tmp_path / 'dlgrade.db'}"}
        return
    request.getfixturevalue("pg_available")
    schema = f"dlgrade_test_{os.getpid()}_{secrets.token_hex(4)}"
    yield {"database_url": PG_URL, "database_schema": schema}
    drop_schema(schema)


@pytest.fixture
def make_service(database):
    """``make_service(**settings)`` → a started :class:`Service`; stopped at the end of the test."""
    clients = []

    def start(**overrides) -> Service:
        app = create_app(make_settings(database, **overrides))
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return Service(app, client)

    yield start
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def service(make_service) -> Service:
    return make_service()
