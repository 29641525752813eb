"""Deadline night in distributed mode (issue 17): what students and IT staff see during faults.

The API in distributed mode on the local PostgreSQL (a schema of its own) and a private Redis; the
tests run in file order and share the cluster.  First without workers (nothing drains the queue, so
admission can be counted exactly), then with two workers for the faults of workers themselves.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

import httpx
import pytest

from deploy_testing import ARTIFACTS, PG_URL, CORRECT, Cluster, wait_for

pytestmark = pytest.mark.timeout(150)

QUEUE_SIZE = 150


@pytest.fixture(scope="module")
def fault_cluster(workdir, redis_server, pg_schema):
    env = {
        "DLGRADE_QUEUE": "celery",
        "DLGRADE_BROKER_URL": redis_server.url,
        "DLGRADE_CELERY_QUEUE": f"q{secrets.token_hex(4)}",
        "DLGRADE_DATABASE_URL": PG_URL,
        "DLGRADE_DATABASE_SCHEMA": pg_schema,
        "DLGRADE_WORKERS": "1",
        "DLGRADE_RATE_LIMIT": "100000",
        "DLGRADE_MAX_CONCURRENT": "100000",
        "DLGRADE_QUEUE_SIZE": str(QUEUE_SIZE),
        # production's visibility timeout (a lost job would wait 120 s for Redis), a quicker heartbeat
        "DLGRADE_HEARTBEAT_SECONDS": "1",
        "DLGRADE_RECONCILE_SECONDS": "5",
        "DLGRADE_WORKER_HEARTBEAT_FILE": str(workdir / "worker-heartbeat"),
    }
    c = Cluster(env, workdir)
    try:
        c.start_api()
        yield c
    finally:
        c.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "deploy-faults.log").write_text(c.logs())


def burst(cluster: Cluster, token: str, n: int, timeout: float = 60) -> list[httpx.Response]:
    """``n`` uploads released at the same instant, one connection each (a class at the deadline)."""
    data = CORRECT.read_bytes()
    gate = threading.Barrier(n)
    answers: list = [None] * n

    def upload(i: int) -> None:
        with httpx.Client(base_url=cluster.url, timeout=timeout) as http:
            gate.wait(30)
            try:
                answers[i] = http.post("/api/v1/submissions", data={"exercise": "layers"},
                                       files={"file": ("layers.py", data)},
                                       headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                answers[i] = exc

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 40)
    return answers


def statuses(answers) -> dict:
    out: dict = {}
    for a in answers:
        key = a.status_code if isinstance(a, httpx.Response) else type(a).__name__
        out[key] = out.get(key, 0) + 1
    return out


def queue_depth(cluster: Cluster) -> int:
    text = cluster.http.get("/metrics").text
    return int(float(re.search(r"^dlgrade_queue_depth (\S+)$", text, re.M).group(1)))


def test_a_burst_of_100_uploads_on_postgresql_is_accepted_without_exhausting_the_pool(fault_cluster):
    token = fault_cluster.token("class100")
    t0 = time.monotonic()
    answers = burst(fault_cluster, token, 100)
    took = time.monotonic() - t0
    assert statuses(answers) == {202: 100}, statuses(answers)
    assert took < 25, took  # the old pool made every request wait its 30 s timeout, then answered 500
    assert queue_depth(fault_cluster) == 100


def test_a_burst_of_150_with_room_for_50_admits_exactly_50(fault_cluster):
    room = QUEUE_SIZE - queue_depth(fault_cluster)
    assert room == 50
    answers = burst(fault_cluster, fault_cluster.token("class150"), 150)
    assert statuses(answers) == {202: room, 503: 150 - room}, statuses(answers)
    for r in answers:
        if r.status_code == 503:
            assert r.json()["reason"] == "queue_full" and int(r.headers["retry-after"]) >= 1
    assert queue_depth(fault_cluster) == QUEUE_SIZE
    assert fault_cluster.health()["queue"]["outbox"] == 0  # every accepted one reached the broker


def test_with_redis_down_healthz_names_the_broker(fault_cluster, redis_server):
    redis_server.stop()
    try:
        def named():
            r = fault_cluster.http.get("/healthz")
            return r.status_code == 503 and any(p.startswith("broker: Redis at redis://127.0.0.1:")
                                                for p in r.json()["problems"]) and r.json()
        health = wait_for(named, 10, "/healthz to name the broker")
        assert not any("workers are not running" in p for p in health["problems"]), health
        assert f":{redis_server.port}/0" in health["problems"][0]
        assert fault_cluster.http.get("/metrics").status_code == 200
    finally:
        redis_server.start()  # same port, empty: the accepted submissions' messages are gone
    wait_for(lambda: fault_cluster.health()["queue"]["broker"], 10, "the broker to be back")
    # what the broker lost is re-sent by the workers' reconciler; these tests drop it instead
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"),
                           connect_args={"options": f"-csearch_path={fault_cluster.env['DLGRADE_DATABASE_SCHEMA']}"})
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM submissions"))
    engine.dispose()
