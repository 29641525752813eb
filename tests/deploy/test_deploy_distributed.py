"""Distributed mode end to end: the API, two `dlgrade worker` processes, the local PostgreSQL, a private Redis.

The tests share one cluster (module scope) and run in file order; each leaves two live workers.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
import redis

from deploy_testing import PG_URL, slow_submission, wait_for

pytestmark = pytest.mark.timeout(120)


def full_marks(sub: dict) -> bool:
    return sub["status"] == "done" and sub["max_score"] > 0 and sub["score"] == sub["max_score"]


def processed(cluster) -> dict[int, int]:
    return {pid: w["processed"] for pid, w in cluster.live_workers().items()}


def store_rows(schema: str, student: str, rows: list[tuple[str, int]]) -> tuple[str, list[int]]:
    """Submissions written straight into the database, as (status, attempts), with no broker message."""
    from api.accounts import create_token
    from api.db import create_db_engine, session_factory
    from api.models import Account, Submission, utcnow
    from api.settings import Settings

    engine = create_db_engine(Settings(database_url=PG_URL, database_schema=schema))
    data = slow_submission(0.5)
    try:
        with session_factory(engine).begin() as db:
            token = create_token(db, "student", student)
            account = db.query(Account).filter_by(name=student).one()
            subs = [Submission(account_id=account.id, exercise="layers", filename="stored.py", source=data,
                               size=len(data), sha256=hashlib.sha256(data).hexdigest(), status=status,
                               attempts=attempts, created_at=utcnow()) for status, attempts in rows]
            db.add_all(subs)
            db.flush()
            return token, [sub.id for sub in subs]
    finally:
        engine.dispose()


def test_health_and_metrics_cover_the_broker_and_the_workers(cluster):
    health = cluster.health()
    assert health["status"] == "ok", health
    queue = health["queue"]
    assert queue["backend"] == "celery" and queue["broker"] is True
    assert queue["workers"] == 2 and queue["slots"] == 2
    assert {w["pid"] for w in queue["worker_list"]} == {w.pid for w in cluster.workers}
    metrics = cluster.http.get("/metrics").text
    assert "dlgrade_broker_up 1.0" in metrics
    assert "dlgrade_workers 2.0" in metrics
    for w in cluster.workers:
        assert f'dlgrade_worker_heartbeat_age_seconds{{worker="dlgrade-{w.pid}-' in metrics
    # what the container HEALTHCHECK of a worker reads
    assert time.time() - Path(cluster.env["DLGRADE_WORKER_HEARTBEAT_FILE"]).stat().st_mtime < 5


def test_submissions_through_the_api_are_graded_by_two_worker_processes(cluster):
    before = processed(cluster)
    token = cluster.token("s100")
    ids = [cluster.submit(token, data=slow_submission(1.0)) for _ in range(6)]
    done = cluster.wait_final(token, ids, 60)
    assert all(full_marks(s) for s in done.values()), done
    assert all(s["attempts"] == 1 for s in done.values())

    def both_worked():
        after = processed(cluster)
        graded = {pid: after.get(pid, 0) - before.get(pid, 0) for pid in before}
        return graded if sum(graded.values()) >= 6 and all(graded.values()) else None

    wait_for(both_worked, 5, "both workers to report their jobs")


def test_kill9_of_a_worker_mid_job_loses_nothing(cluster, redis_server):
    token = cluster.token("s200")
    sid = cluster.submit(token, data=slow_submission(4.0))
    broker = redis.Redis.from_url(redis_server.url)
    lease = f"dlgrade:{cluster.env['DLGRADE_CELERY_QUEUE']}:lease:{sid}"
    holder_name = wait_for(lambda: broker.get(lease), 20, "a worker to start the job").decode().split()[0]
    victim = next(w for w in cluster.workers if holder_name.startswith(f"dlgrade-{w.pid}-"))
    survivor = next(w for w in cluster.workers if w is not victim and w.alive())
    before = processed(cluster)[survivor.pid]
    time.sleep(1.0)  # well inside the job
    assert cluster.submission(token, sid)["status"] == "running"
    victim.kill9()

    sub = cluster.wait_final(token, [sid], 45)[sid]
    assert full_marks(sub), sub
    assert sub["attempts"] == 2  # started twice, finished once
    wait_for(lambda: processed(cluster).get(survivor.pid, 0) > before, 5, "the survivor to report the job")
    # the dead worker drops out of /healthz once its heartbeat lapses; a replacement joins
    wait_for(lambda: victim.pid not in cluster.live_workers(), 10, "the killed worker to leave /healthz")
    cluster.workers.remove(victim)
    victim.stop()  # what it started, if anything is left
    cluster.wait_workers({cluster.start_worker().pid})


def test_restarting_the_api_leaves_the_workers_jobs_alone(cluster, redis_server, pg_schema):
    """A submission a worker is grading (its lease alive) is neither re-queued nor given up when the API
    starts; once the lease lapses without a result (the worker was lost), it is sent and graded."""
    token, (sid,) = store_rows(pg_schema, "s250", [("running", 1)])
    broker = redis.Redis.from_url(redis_server.url)
    lease = f"dlgrade:{cluster.env['DLGRADE_CELERY_QUEUE']}:lease:{sid}"
    broker.set(lease, "dlgrade-elsewhere@host token", px=60_000)
    cluster.api.stop()
    cluster.start_api()
    time.sleep(3)  # a reconciler pass or more
    sub = cluster.submission(token, sid)
    assert (sub["status"], sub["attempts"]) == ("running", 1)  # untouched
    broker.delete(lease)
    sub = cluster.wait_final(token, [sid], 30)[sid]
    assert full_marks(sub) and sub["attempts"] == 2


def test_stopping_redis_delays_grading_but_loses_no_submission(cluster, redis_server):
    token = cluster.token("s300")
    # two jobs running and two waiting in Redis when it stops: the waiting ones vanish with it
    before = [cluster.submit(token, data=slow_submission(2.0)) for _ in range(4)]
    wait_for(lambda: sum(cluster.submission(token, s)["status"] == "running" for s in before) == 2, 20,
             "two jobs to start")
    redis_server.stop()
    during = [cluster.submit(token) for _ in range(3)]  # stored and accepted while the broker is away
    assert all(cluster.submission(token, s)["status"] == "queued" for s in during)
    wait_for(lambda: cluster.health()["queue"]["broker"] is False, 5, "/healthz to report the broker down")
    assert cluster.http.get("/healthz").status_code == 503
    time.sleep(3)
    redis_server.start()  # same port, empty

    done = cluster.wait_final(token, before + during, 60)
    assert all(full_marks(s) for s in done.values()), done
    wait_for(lambda: cluster.health()["status"] == "ok", 20, "the service to be healthy again")


def test_lost_jobs_are_resent_and_repeated_crashes_end_in_error(cluster, pg_schema):
    """Rows no broker message mentions (a publish that never happened): one fresh, one whose three
    gradings all died.  The workers' reconciler sends both; the second reaches the dead-letter state."""
    from api.settings import Settings

    max_attempts = Settings().max_attempts
    token, (lost, crashed) = store_rows(pg_schema, "s400", [("queued", 0), ("running", max_attempts)])
    done = cluster.wait_final(token, [lost, crashed], 40)
    assert full_marks(done[lost]) and done[lost]["attempts"] == 1
    assert done[crashed]["status"] == "error"
    assert done[crashed]["attempts"] == max_attempts  # given up, not started again
    assert "not retried" in done[crashed]["error"]
    wait_for(lambda: sum(w["dead_lettered"] for w in cluster.live_workers().values()) == 1, 5,
             "the dead letter to show in the workers' counts")
