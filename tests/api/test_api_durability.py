"""No submission is ever lost: kill -9 the real server while it grades, restart it, everything gets graded."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import select

from api.accounts import create_token
from api.db import open_database
from api.models import Submission
from api_testing import ARTIFACTS, corpus_source, make_settings
from live_server import LiveServer

N = 50


def server_env(database: dict, allow_unsandboxed: bool) -> dict[str, str]:
    env = {"DLGRADE_DATABASE_URL": database["database_url"], "DLGRADE_WORKERS": "2",
           "DLGRADE_RATE_LIMIT": "1000", "DLGRADE_MAX_CONCURRENT": "1000",
           "DLGRADE_ALLOW_UNSANDBOXED": "1" if allow_unsandboxed else "0"}
    if "database_schema" in database:
        env["DLGRADE_DATABASE_SCHEMA"] = database["database_schema"]
    return env


def statuses(client: httpx.Client, url: str, ids: list[int], headers: dict) -> dict[int, dict]:
    page = client.get(f"{url}/api/v1/submissions", params={"limit": 500}, headers=headers).json()
    return {s["id"]: s for s in page["items"] if s["id"] in ids}


@pytest.mark.timeout(240)
def test_kill_9_while_grading_loses_nothing(database, tmp_path):
    settings = make_settings(database)
    engine, sessions = open_database(settings)
    with sessions.begin() as db:
        headers = {"Authorization": f"Bearer {create_token(db, 'student', 's001')}"}
        instructor = {"Authorization": f"Bearer {create_token(db, 'instructor', 'sensei')}"}
    engine.dispose()
    sources = [corpus_source("layers", name) for name in
               ("correct_book.py", "bug_affine_dw_transpose.py", "correct_vectorised_at.py", "bug_relu_mask_inverted.py")]
    env = server_env(database, settings.allow_unsandboxed)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "server.log"

    server = LiveServer(env, log).start()
    try:
        with httpx.Client(timeout=30) as client:
            ids = []
            for n in range(N):
                r = client.post(f"{server.url}/api/v1/submissions", headers=headers,
                                json={"exercise": "layers", "filename": f"s001_{n}.py", "source": sources[n % 4]})
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            # let grading get going, then pull the plug in the middle of it
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done = sum(s["status"] == "done" for s in statuses(client, server.url, ids, instructor).values())
                if done >= 3:
                    break
                time.sleep(0.05)
            before = statuses(client, server.url, ids, instructor)
    finally:
        server.kill()
    assert len(before) == N
    engine, sessions = open_database(settings)
    with sessions() as db:  # the state the crash left behind
        at_kill = {sid: (status, attempts) for sid, status, attempts in
                   db.execute(select(Submission.id, Submission.status, Submission.attempts))}
    engine.dispose()
    assert sorted(at_kill) == sorted(ids)
    queued = [i for i, (status, _) in at_kill.items() if status == "queued"]
    running = [i for i, (status, _) in at_kill.items() if status == "running"]
    assert queued and running, f"the kill should land while grading is under way: {at_kill}"

    server = LiveServer(env, log, port=server.port).start()
    try:
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                after = statuses(client, server.url, ids, instructor)
                if all(s["status"] in ("done", "error") for s in after.values()):
                    break
                time.sleep(0.25)
            assert {s["status"] for s in after.values()} == {"done"}, \
                {i: s["status"] for i, s in after.items() if s["status"] != "done"}
            for n, sid in enumerate(ids):
                body = client.get(f"{server.url}/api/v1/submissions/{sid}", headers=headers).json()
                assert body["filename"] == f"s001_{n}.py" and body["student"] == "s001"
                assert body["report"]["items"] and body["report"]["max_score"] > 0
                expected_full = n % 2 == 0  # the correct files
                assert (body["score"] == body["max_score"]) == expected_full, (n, body["score"])
                if sid in running:  # interrupted mid-grading, graded again from the start
                    assert body["attempts"] == at_kill[sid][1] + 1
            health = client.get(f"{server.url}/healthz").json()
            assert health["database"] is True
    finally:
        server.stop()
    (ARTIFACTS / f"durability-{'pg' if 'database_schema' in database else 'sqlite'}.log").write_bytes(log.read_bytes())
