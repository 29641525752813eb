"""The database failing under the service (issue 17: 1, 7, 8): down, busy, saturated, full.

Every such refusal is 503 + Retry-After + JSON ``{detail, reason}`` (never a bare 500), ``/metrics``
keeps answering, and the service recovers by itself when the database does.  Real databases: a
throwaway PostgreSQL cluster the test stops and starts (never the shared one), the shared one for a
saturated pool, a real SQLite file locked by another connection, and a SQLite file on a full disk
(a 1 MiB tmpfs in a mount namespace of the server's own).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api_testing import ROOT, Service, corpus_source, make_settings
from live_server import free_port
from pgcluster import ThrowawayPostgres

pytestmark = pytest.mark.timeout(180)

CORRECT = corpus_source("layers", "correct_loops.py")
UPLOAD = {"exercise": "layers", "filename": "layers.py", "source": CORRECT}


def slow(seconds: float) -> dict:
    source = "import time\n" + "time.sleep(0.5)\n" * max(1, round(seconds / 0.5)) + CORRECT
    return {"exercise": "layers", "filename": "slow.py", "source": source}


def assert_503(r: httpx.Response, reason: str) -> dict:
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert int(r.headers["retry-after"]) >= 1
    body = r.json()
    assert body["reason"] == reason, body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


@pytest.fixture
def throwaway_pg():
    pg = ThrowawayPostgres().init()
    yield pg
    pg.destroy()


def test_a_database_outage_is_503_with_retry_after_and_metrics_keep_answering(throwaway_pg):
    """PostgreSQL stopped at once (``pg_ctl -m immediate``), then started again."""
    app = create_app(make_settings({"database_url": throwaway_pg.url}, database_timeout=2, workers=1))
    with TestClient(app) as client:
        svc = Service(app, client)
        student = svc.auth()
        first = client.post("/api/v1/submissions?wait=20", headers=student, json=UPLOAD)
        assert first.status_code == 201, first.text

        # a request in flight when the database goes: it waits for a slow grading, then loses the database
        in_flight: dict = {}

        def wait_for_report():
            in_flight["r"] = client.post("/api/v1/submissions?wait=15", headers=student, json=slow(6))

        waiter = threading.Thread(target=wait_for_report)
        waiter.start()
        time.sleep(1.5)
        throwaway_pg.stop("immediate")
        waiter.join(30)
        assert not waiter.is_alive()
        assert_503(in_flight["r"], "database_unavailable")

        t0 = time.monotonic()
        body = assert_503(client.post("/api/v1/submissions", headers=student, json=UPLOAD), "database_unavailable")
        assert "データベース" in body["detail"]  # the course's language by default
        en = client.post("/api/v1/submissions?lang=en", headers=student, json=UPLOAD)
        assert "database" in assert_503(en, "database_unavailable")["detail"]
        assert_503(client.get(f"/api/v1/submissions/{first.json()['id']}", headers=student), "database_unavailable")
        assert time.monotonic() - t0 < 15  # refused at once, not after a 30 s pool timeout

        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert "dlgrade_database_up 0.0" in metrics.text
        assert 'dlgrade_submissions_rejected_total{reason="database_unavailable"}' in metrics.text
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] is False

        throwaway_pg.start()
        again = client.post("/api/v1/submissions?wait=20", headers=student, json=UPLOAD)
        assert again.status_code == 201, again.text
        assert again.json()["score"] == again.json()["max_score"] > 0
        assert "dlgrade_database_up 1.0" in client.get("/metrics").text
        assert client.get("/healthz").json()["database"] is True


def test_a_busy_database_fails_fast_with_503_and_recovers(make_service, database, tmp_path):
    """SQLite: another process holds the write lock.  PostgreSQL: every pooled connection is taken."""
    svc = make_service(database_timeout=1, database_pool_size=1)
    student = svc.auth()
    engine = svc.app.state.session_factory.kw["bind"]
    if engine.dialect.name == "sqlite":
        holder = sqlite3.connect(engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = holder.rollback
    else:
        holder = engine.connect()
        holder.exec_driver_sql("SELECT 1")
        release = holder.close
    try:
        t0 = time.monotonic()
        body = assert_503(svc.client.post("/api/v1/submissions", headers=student, json=UPLOAD), "database_busy")
        assert time.monotonic() - t0 < 8  # database_timeout, not 30 s
        assert "混み合って" in body["detail"]
        assert svc.client.get("/metrics").status_code == 200
        assert svc.client.get("/healthz").status_code in (200, 503)  # answers (no 500, no hang)
    finally:
        release()
    ok = svc.client.post("/api/v1/submissions", headers=student, json=UPLOAD)
    assert ok.status_code == 202, ok.text


class FullDiskServer:
    """``dlgrade serve`` whose SQLite database lives on a 1 MiB tmpfs (a mount namespace of its own)."""

    def __init__(self, tmp_path, size: str = "1m"):
        self.dir = tmp_path / "small-disk"
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "server.log"
        env = {**os.environ, "DLGRADE_DATABASE_URL": f"sqlite:///{self.dir}/dlgrade.db", "DLGRADE_WORKERS": "1",
               "DLGRADE_RATE_LIMIT": "1000", "DLGRADE_MAX_CONCURRENT": "1000", "DLGRADE_DATABASE_TIMEOUT": "2"}
        script = 'mount -t tmpfs -o size="$1" tmpfs "$2" && shift 2 && exec "$@"'
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", size, str(self.dir),
                 sys.executable, "-m", "grader.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                httpx.get(self.url + "/healthz", timeout=2)
                return
            except httpx.HTTPError:
                assert time.monotonic() < deadline, self.log.read_text()[-3000:]
                time.sleep(0.2)

    def token(self) -> str:
        out = subprocess.run(["nsenter", "-t", str(self.proc.pid), "-m", sys.executable, "-m", "grader.cli",
                              "token", "create", "--student", "s1"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60, env={**os.environ, "DLGRADE_DATABASE_URL": f"sqlite:///{self.dir}/dlgrade.db"})
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.returncode is None:
            self.proc.wait(timeout=10)


def test_a_full_disk_under_sqlite_is_503_storage_full(tmp_path):
    server = FullDiskServer(tmp_path)
    try:
        headers = {"Authorization": f"Bearer {server.token()}"}
        padding = "#" + "x" * 999 + "\n"
        big = {"exercise": "layers", "filename": "big.py", "source": CORRECT + padding * 200}  # ~200 KB
        answers = []
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for _ in range(12):  # 2.4 MB into 1 MiB: the disk fills within a few uploads
                r = http.post("/api/v1/submissions", headers=headers, json=big)
                answers.append(r)
                if r.status_code != 202:
                    break
            accepted = sum(r.status_code == 202 for r in answers)
            assert 1 <= accepted < 12, [r.status_code for r in answers]
            body = assert_503(answers[-1], "storage_full")
            assert "ディスク" in body["detail"]
            assert http.get("/metrics").status_code == 200
            # what was stored before the disk filled is still there, and a status can still be read
            assert http.get("/api/v1/submissions", headers=headers).json()["total"] == accepted
    finally:
        server.stop()


def test_a_lost_acknowledgement_retried_with_the_same_key_stores_one_submission(tmp_path):
    """The phantom submission (issue 17: 2), embedded mode: the upload is stored, its answer lost on the
    way back; the client's retries with the same Idempotency-Key get that submission, and nothing more."""
    from api_testing import ALLOW_UNSANDBOXED
    from live_server import LiveServer
    from lossy_proxy import phantom_then_retries

    env = {"DLGRADE_DATABASE_URL": f"sqlite:///{tmp_path / 'dlgrade.db'}", "DLGRADE_WORKERS": "1",
           "DLGRADE_RATE_LIMIT": "1000", "DLGRADE_MAX_CONCURRENT": "1000",
           "DLGRADE_ALLOW_UNSANDBOXED": "1" if ALLOW_UNSANDBOXED else "0"}
    with LiveServer(env, tmp_path / "server.log") as server:
        token = subprocess.run([sys.executable, "-m", "grader.cli", "token", "create", "--student", "s1"], cwd=ROOT,
                               env=server.env, capture_output=True, text=True, timeout=60, check=True).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        before, answers, after = phantom_then_retries(server.url, server.port, headers, UPLOAD)
        assert before["total"] == 1  # stored, though the student never heard so
        phantom = before["items"][0]["id"]
        assert [r.status_code in (201, 202) for r in answers] == [True] * len(answers), [r.text for r in answers]
        assert {r.json()["id"] for r in answers} == {phantom}
        assert all(r.headers.get("idempotent-replayed") == "true" for r in answers)
        assert after["total"] == 1
        with httpx.Client(base_url=server.url, timeout=30) as http:
            deadline = time.monotonic() + 60
            while (sub := http.get(f"/api/v1/submissions/{phantom}", headers=headers).json())["status"] \
                    not in ("done", "error"):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            assert sub["status"] == "done" and sub["attempts"] == 1 and sub["score"] == sub["max_score"]
