"""Property-based tests from the OpenAPI schema (Schemathesis) against a real server: no 5xx, answers as documented."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

from api.accounts import create_token
from api.db import open_database
from api.main import create_app
from api.settings import Settings
from api_testing import make_settings
from live_server import LiveServer

EXAMPLES_PER_OPERATION = 40


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schemathesis")
    database = {"database_url": f"sqlite:///{folder / 'dlgrade.db'}"}
    config = make_settings(database, max_wait_seconds=1.0)
    engine, sessions = open_database(config)
    with sessions.begin() as db:
        create_token(db, "student", "s001")  # someone's submissions to find
        token = create_token(db, "instructor", "sensei")
    engine.dispose()
    env = {"DLGRADE_DATABASE_URL": database["database_url"], "DLGRADE_WORKERS": "2",
           "DLGRADE_RATE_LIMIT": "100000", "DLGRADE_MAX_CONCURRENT": "100000", "DLGRADE_MAX_WAIT_SECONDS": "1",
           "DLGRADE_QUEUE_SIZE": "100000", "DLGRADE_ALLOW_UNSANDBOXED": "1" if config.allow_unsandboxed else "0"}
    with LiveServer(env, folder / "server.log") as server:
        yield server, {"Authorization": f"Bearer {token}"}


# the schema comes from the app itself (building it starts nothing); the calls go to the live server
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


@pytest.mark.timeout(120)
@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, live):
    server, auth = live
    case.call_and_validate(base_url=server.url, headers=auth, checks=[not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance])
