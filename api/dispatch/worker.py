"""``dlgrade worker``: grade jobs from the broker (distributed mode, see ``api.dispatch.celery_app``).

One process runs Celery's thread pool (``DLGRADE_WORKERS`` gradings at a time; each grading runs the
student's code in processes forked by the engine's zygote, never in this process) and one
heartbeat thread, which

- renews the lease of every job it grades, so a second delivery of that job waits instead of
  grading it again at the same time;
- publishes this worker's state (``/healthz`` and ``/metrics`` of the API list it) and touches
  the heartbeat file the container HEALTHCHECK reads;
- hands back to the queue the jobs of workers whose heartbeat lapsed (``reclaim``), so a job of a
  worker killed mid-grading is graded again within seconds instead of after the visibility timeout;
- now and then (one worker at a time) re-sends pending submissions the broker no longer holds.

With ``DLGRADE_WORKER_METRICS_PORT`` the worker serves its own Prometheus ``/metrics`` (its gradings,
their durations); ``README.md`` has the scrape configuration.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid

import redis
from celery import Celery
from sqlalchemy import select, update

from api.dispatch.celery_app import GRADE_TASK, BrokerSettings, WorkerInfo, live_workers, lost_jobs, make_celery, \
    publish, redis_client, responsive_workers, submissions_held
from api.db import SessionFactory, open_database
from api.grading import grade_submission
from api.isolation import probe
from api.models import ERROR, PENDING_STATUSES, Submission, utcnow
from api.settings import Settings

log = logging.getLogger("dlgrade.worker")

# Delete a lease only if it is still ours (it may have lapsed and been taken by another worker).
RELEASE_LEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class WorkerRefused(Exception):
    """The worker will not start (no isolation, bad settings, unreachable database)."""


def give_up_if_exhausted(sessions: SessionFactory, submission_id: int, max_attempts: int) -> bool:
    """The dead-letter state: a submission whose gradings kept dying is recorded as ``error``."""
    with sessions.begin() as db:
        return bool(db.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status.in_(PENDING_STATUSES),
                   Submission.attempts >= max_attempts)
            .values(status=ERROR, finished_at=utcnow(),
                    error=f"grading was started {max_attempts} times and never finished (the worker grading "
                          "it was lost each time); not retried")
        ).rowcount)


class WorkerRuntime:
    def __init__(self, settings: Settings, broker: BrokerSettings, sessions: SessionFactory, app: Celery,
                 name: str, concurrency: int, isolation_full: bool):
        self.settings, self.broker, self.sessions, self.app = settings, broker, sessions, app
        self.name, self.concurrency, self.isolation_full = name, concurrency, isolation_full
        self.client = redis_client(broker)
        self.release_lease = self.client.register_script(RELEASE_LEASE)
        self.lock = threading.Lock()
        self.leases: dict[int, str] = {}
        self.processed = self.retried = self.dead_lettered = self.reclaimed = 0
        self.started = time.time()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._heartbeat_loop, name="dlgrade-heartbeat", daemon=True)

    # -- jobs -------------------------------------------------------------------------------------
    def grade(self, submission_id: int) -> float | None:
        """Grade one job.  Returns the seconds to wait before trying again when another worker holds it."""
        key, token = self.broker.key("lease", submission_id), f"{self.name} {uuid.uuid4().hex}"
        try:
            if not self.client.set(key, token, nx=True, px=self.broker.lease_ms):
                with self.lock:
                    self.retried += 1
                left = max(self.client.pttl(key), 0) / 1000
                return min(left + 1.0, self.broker.visibility_timeout / 2)
        except redis.RedisError as exc:  # the job came from Redis a moment ago: grade, do not lose it
            log.warning("no lease for submission %s (%s); grading it anyway", submission_id, exc)
            token = None
        with self.lock:
            if token:
                self.leases[submission_id] = token
        try:
            if give_up_if_exhausted(self.sessions, submission_id, self.settings.max_attempts):
                log.error("submission %s given up after %d interrupted gradings", submission_id,
                          self.settings.max_attempts)
                with self.lock:
                    self.dead_lettered += 1
            else:
                grade_submission(self.sessions, submission_id)
        finally:
            with self.lock:
                self.leases.pop(submission_id, None)
                self.processed += 1
            try:
                if token:
                    self.release_lease(keys=[key], args=[token])
                # the API's /metrics reads this at every scrape: the count does not wait for a heartbeat
                self.client.set(self.broker.key("worker", self.name), self.info().to_json(), px=self.broker.lease_ms)
            except redis.RedisError:
                pass  # the lease lapses by itself; the next heartbeat publishes the count
        return None

    # -- heartbeat --------------------------------------------------------------------------------
    def start(self) -> None:
        try:
            self.beat()
        except (redis.RedisError, OSError) as exc:
            log.warning("heartbeat: %s (the broker is not reachable yet)", exc)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        try:
            self.client.delete(self.broker.key("worker", self.name))
        except redis.RedisError:
            pass
        self.broker.worker_heartbeat_file.unlink(missing_ok=True)

    def info(self) -> WorkerInfo:
        tags = held_delivery_tags()
        with self.lock:
            return WorkerInfo(name=self.name, host=socket.gethostname(), pid=os.getpid(),
                              concurrency=self.concurrency, active=len(self.leases), processed=self.processed,
                              retried=self.retried, dead_lettered=self.dead_lettered,
                              isolation_full=self.isolation_full, started=self.started, seen=time.time(),
                              reclaimed=self.reclaimed, tags=tags)

    def beat(self) -> None:
        with self.lock:
            leases = dict(self.leases)
        with self.client.pipeline(transaction=False) as pipe:
            for sid, token in leases.items():
                pipe.set(self.broker.key("lease", sid), token, px=self.broker.lease_ms)
            pipe.set(self.broker.key("worker", self.name), self.info().to_json(), px=self.broker.lease_ms)
            pipe.execute()
        self.broker.worker_heartbeat_file.touch()

    def _heartbeat_loop(self) -> None:
        period = self.broker.reconcile_seconds
        next_reconcile = time.monotonic() + random.uniform(0.2, 1.0) * period
        failing = False
        tick = 0
        # a beat every heartbeat; the search for lost workers' jobs twice as often (it only reads, a few keys)
        while not self.stopping.wait(self.broker.heartbeat_seconds / 2):
            tick += 1
            if tick % 2 and not failing:
                self._reclaim_quietly()
                continue
            try:
                self.beat()
            except (redis.RedisError, OSError) as exc:
                if not failing:
                    log.warning("heartbeat failed (%s); retrying every %g s", exc, self.broker.heartbeat_seconds)
                failing = True
                continue
            if failing:
                log.warning("heartbeat restored")
                failing = False
            self._reclaim_quietly()
            if time.monotonic() >= next_reconcile:
                next_reconcile = time.monotonic() + period
                try:
                    self.reconcile()
                except Exception:  # noqa: BLE001 - the next pass tries again
                    log.exception("reconcile failed")

    # -- jobs of lost workers ---------------------------------------------------------------------
    def _reclaim_quietly(self) -> None:
        if not self.broker.reclaim_lost_jobs:
            return
        try:
            self.reclaim()
        except Exception:  # noqa: BLE001 - the next pass tries again
            log.exception("reclaim failed")

    def reclaim(self) -> list[int | None]:
        """Hand back to the queue the jobs of workers whose heartbeat lapsed; return their submissions.

        Run by every worker twice a heartbeat (cheap: it reads the unacknowledged deliveries, a few);
        each hand-back is one Redis transaction (kombu's own ``restore_by_tag``), so two workers
        reclaiming the same job put it back once.  The lost worker's lease on the submission is
        dropped too, so the next worker starts at once.
        """
        workers = live_workers(self.client, self.broker)
        lost = lost_jobs(self.client, self.broker, workers)
        if not lost:
            return []
        alive = {w.name for w in responsive_workers(self.client, self.broker, workers)}
        with self.app.connection_for_write() as conn:
            qos = conn.default_channel.qos
            for job in lost:
                qos.restore_by_tag(job.tag, client=self.client)
                if job.submission_id is not None:
                    key = self.broker.key("lease", job.submission_id)
                    lease = self.client.get(key)
                    if lease is not None and lease.decode().split(" ", 1)[0] not in alive:
                        self.release_lease(keys=[key], args=[lease])
        with self.lock:
            self.reclaimed += len(lost)
        ids = [job.submission_id for job in lost]
        log.warning("handed back %d jobs of workers whose heartbeat lapsed (submissions %s)", len(lost), ids)
        return ids

    # -- jobs the broker lost ---------------------------------------------------------------------
    def reconcile(self) -> list[int]:
        """Re-send pending submissions the broker has not held in two passes running; return them."""
        period_ms = int(self.broker.reconcile_seconds * 1000)
        if not self.client.set(self.broker.key("reconciler"), self.name, nx=True, px=int(period_ms * 0.8)):
            return []  # another worker made this pass
        with self.sessions() as db:
            pending = list(db.scalars(select(Submission.id).where(Submission.status.in_(PENDING_STATUSES))
                                      .order_by(Submission.id)))
        held = submissions_held(self.client, self.broker, pending)
        missing = {sid for sid in pending if sid not in held}
        suspects_key = self.broker.key("suspects")
        # missing twice running: not a job in transit between the queue and a worker, or being published
        resend = sorted(missing & {int(s) for s in self.client.smembers(suspects_key)})
        with self.client.pipeline() as pipe:
            pipe.delete(suspects_key)
            if missing - set(resend):
                pipe.sadd(suspects_key, *(missing - set(resend)))
                pipe.pexpire(suspects_key, period_ms * 5)
            pipe.execute()
        for sid in resend:
            publish(self.app, sid)
        if resend:
            log.warning("re-sent %d submissions the broker no longer held: %s", len(resend), resend)
        return resend


def held_delivery_tags() -> list[str]:
    """Delivery tags of the jobs this worker process holds: running, waiting for a slot, or for a countdown."""
    from celery.worker import state

    for _ in range(5):  # the consumer thread may change the registry while it is read
        try:
            requests = list(state.requests.values())
            break
        except RuntimeError:
            continue
    else:
        requests = []
    tags = []
    for req in requests:
        tag = getattr(getattr(req, "message", None), "delivery_tag", None)
        if tag is not None:
            tags.append(str(tag))
    return tags


def serve_metrics(broker: BrokerSettings) -> None:
    """This worker's Prometheus /metrics (with PROMETHEUS_MULTIPROC_DIR: every process of the machine)."""
    if broker.worker_metrics_port is None:
        return
    from prometheus_client import start_http_server

    from api import metrics

    try:
        start_http_server(broker.worker_metrics_port, addr=broker.worker_metrics_host, registry=metrics.registry())
    except OSError as exc:
        log.warning("cannot serve /metrics on port %s (%s); grading goes on", broker.worker_metrics_port, exc)
        return
    log.info("Prometheus /metrics on %s:%s", broker.worker_metrics_host, broker.worker_metrics_port)


def register_task(app: Celery, runtime: WorkerRuntime) -> None:
    @app.task(name=GRADE_TASK, bind=True, max_retries=None)
    def grade(task, submission_id: int) -> None:
        wait = runtime.grade(int(submission_id))
        if wait is not None:
            raise task.retry(countdown=wait)


def run_worker(concurrency: int | None = None, loglevel: str = "info") -> None:
    """Start a worker; returns when it is stopped (SIGTERM/SIGINT: running gradings finish first)."""
    from pydantic import ValidationError

    from grader.runner.pool import close_defaults, default_starter

    try:
        settings, broker = Settings(), BrokerSettings()
    except ValidationError as exc:
        raise WorkerRefused(f"invalid DLGRADE_* setting: {exc}") from None
    isolation = probe()
    if not isolation.full:
        missing = ", ".join(k for k, ok in isolation.layers.items() if not ok)
        if not settings.allow_unsandboxed:
            raise WorkerRefused(f"student code cannot be fully isolated here (missing: {missing}); "
                                "see README.md, Docker, or set DLGRADE_ALLOW_UNSANDBOXED=1")
        log.warning("grading without full isolation (missing: %s): DLGRADE_ALLOW_UNSANDBOXED is set", missing)
    try:
        engine, sessions = open_database(settings)
    except Exception as exc:  # noqa: BLE001 - any connection or migration failure
        raise WorkerRefused(f"cannot open the database {settings.database_url!r}: {exc}") from None
    concurrency = concurrency or settings.workers
    app = make_celery(broker)
    # unique even for containers sharing the host's network (same hostname, same pid under --init)
    name = f"dlgrade-{os.getpid()}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    runtime = WorkerRuntime(settings, broker, sessions, app, name, concurrency, isolation.full)
    register_task(app, runtime)
    default_starter().warm()
    serve_metrics(broker)
    runtime.start()
    try:
        app.worker_main(["worker", "--pool=threads", f"--concurrency={concurrency}", f"--hostname={name}",
                         f"--queues={broker.celery_queue}", f"--loglevel={loglevel.upper()}",
                         "--without-gossip", "--without-mingle", "--without-heartbeat"])
    finally:
        runtime.stop()
        close_defaults()  # the NumPy zygote and, if an autograd job started it, the PyTorch one
        engine.dispose()
        from api import metrics

        metrics.process_exits()
