"""The API's side of distributed mode (``DLGRADE_QUEUE=celery``): publish submission ids to Redis.

Publishing happens in a background thread, so a slow or absent broker never blocks a request: the
submission is already stored as ``queued``; while Redis is away its id waits in the outbox (and,
should this process die too, the workers' reconciler re-sends it).  The same thread keeps a snapshot
of the broker and the live workers for ``/healthz`` and ``/metrics``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import redis
from kombu.transport.redis import Channel as RedisChannel
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from api import metrics
from api.dispatch.celery_app import BrokerSettings, LostJob, WorkerInfo, heartbeat_age, live_workers, lost_jobs, \
    make_celery, publish, queue_length, redis_client, responsive_workers
from api.db import SessionFactory
from api.settings import Settings

log = logging.getLogger("dlgrade.api.queue")

STATUS_PERIOD = 1.0  # seconds between snapshots of the broker


class CeleryQueue:
    """Implements ``api.dispatch.queue.GradingQueue`` over Celery + Redis."""

    def __init__(self, settings: Settings, session_factory: SessionFactory, broker: BrokerSettings | None = None):
        self.settings, self.session_factory = settings, session_factory
        self.broker = broker or BrokerSettings()
        self.app = make_celery(self.broker)
        self.client = redis_client(self.broker, timeout=2.0)
        self.outbox: deque[int] = deque()
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="dlgrade-publisher", daemon=True)
        # the last snapshot (read by requests without any I/O)
        self.broker_up = False
        self.broker_error: str | None = None
        self.in_queue = 0
        self.unacked = 0
        self.workers: list[WorkerInfo] = []
        self.lost: list[LostJob] = []
        self.published = 0
        self._collector = BrokerCollector(self)

    # -- GradingQueue -----------------------------------------------------------------------------
    def start(self) -> None:
        self._snapshot()
        self.thread.start()
        metrics.add_collector(self._collector)

    def enqueue(self, submission_id: int) -> None:
        self.outbox.append(submission_id)
        self.wakeup.set()

    def enqueue_backlog(self, submission_ids: list[int]) -> None:
        # the API recovers nothing in distributed mode (the workers' reconciler does); a duplicate is harmless
        self.outbox.extend(submission_ids)
        self.wakeup.set()

    def has_room(self) -> bool:
        # admission is exact in the database (api.admission), not from this snapshot of the broker
        return True

    def healthy(self) -> bool:
        return self.broker_up and bool(self.workers) and self.thread.is_alive()

    def problems(self) -> list[str]:
        """What keeps submissions from being graded, naming the part at fault (IT staff read this)."""
        problems = []
        if not self.broker_up:
            problems.append(f"broker: Redis at {self.broker_location()} is not reachable ({self.broker_error or 'no answer'}); "
                            "submissions are stored and will be sent to the workers when it is back")
        elif not self.workers:
            problems.append("no grading worker has a live heartbeat (start `dlgrade worker`); "
                            "submissions are stored and wait in the broker")
        if not self.thread.is_alive():
            problems.append("the API's publisher thread is not running")
        return problems

    def warnings(self) -> list[str]:
        """What is wrong while the service still accepts and grades (``/healthz`` answers 200 "degraded")."""
        if not self.lost:
            return []
        ids = ", ".join(str(j.submission_id) for j in self.lost)
        oldest = max(j.age for j in self.lost)
        fate = ("the live workers hand them back within a heartbeat" if self.broker.reclaim_lost_jobs
                else f"Redis hands them out again after the visibility timeout ({self.broker.visibility_timeout:g} s)")
        return [f"{len(self.lost)} grading jobs (submissions {ids}) were taken by a worker whose heartbeat lapsed "
                f"{oldest:.0f} s ago; {fate}"]

    def broker_location(self) -> str:
        """The broker's address without its password."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.broker.broker_url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"

    def describe(self) -> dict:
        return {"backend": "celery", "broker": self.broker_up, "queue": self.broker.celery_queue,
                "in_queue": self.in_queue, "unacked": self.unacked, "outbox": len(self.outbox),
                "lost_jobs": [j.submission_id for j in self.lost],
                "capacity": self.settings.queue_size,
                "workers": len(self.workers), "slots": sum(w.concurrency for w in self.workers),
                "worker_list": [{"name": w.name, "host": w.host, "pid": w.pid, "concurrency": w.concurrency,
                                 "active": w.active, "processed": w.processed, "retried": w.retried,
                                 "dead_lettered": w.dead_lettered, "reclaimed": w.reclaimed,
                                 "isolation_full": w.isolation_full,
                                 "heartbeat_age": round(heartbeat_age(w), 1)} for w in self.workers]}

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.wakeup.set()
        self.thread.join(timeout)
        if self.outbox:
            log.warning("%d submissions not yet sent to the broker; the workers' reconciler will send them",
                        len(self.outbox))
        try:
            metrics.remove_collector(self._collector)
        except KeyError:
            pass
        self.app.close()
        self.client.close()

    # -- background thread ------------------------------------------------------------------------
    def _run(self) -> None:
        last = time.monotonic()
        while not self.stopping.is_set():
            self.wakeup.wait(STATUS_PERIOD)
            self.wakeup.clear()
            if time.monotonic() - last >= STATUS_PERIOD:
                self._snapshot()
                last = time.monotonic()
            self._flush()
        self._flush()

    def _flush(self) -> None:
        while self.outbox:
            sid = self.outbox[0]
            try:
                publish(self.app, sid)
            except Exception as exc:  # noqa: BLE001 - any broker failure: keep it, try again next tick
                if self.broker_up:
                    log.warning("cannot reach the broker (%s): %d submissions wait to be sent", exc,
                                len(self.outbox))
                self.broker_up = False
                return
            self.outbox.popleft()
            self.published += 1

    def _snapshot(self) -> None:
        try:
            self.in_queue = queue_length(self.client, self.broker)
            self.unacked = self.client.hlen(RedisChannel.unacked_key)
            # a worker silent for two heartbeats is not counted (its key lingers one more heartbeat)
            known = live_workers(self.client, self.broker)
            self.workers = responsive_workers(self.client, self.broker, known)
            self.lost = lost_jobs(self.client, self.broker, known)
            self.broker_up = True
            self.broker_error = None
        except redis.RedisError as exc:
            self.broker_up = False
            self.broker_error = type(exc).__name__
            self.workers = []
            self.lost = []


class BrokerCollector:
    """Prometheus metrics of the broker and the workers, from the publisher's last snapshot."""

    def __init__(self, queue: CeleryQueue):
        self.queue = queue

    def describe(self):
        return []  # names are known at collection time (and registering must not probe the broker)

    def collect(self):
        q = self.queue
        workers = q.workers
        if q.broker_up:  # read the workers' counts now: dlgrade_worker_jobs_total does not lag a snapshot
            try:
                workers = responsive_workers(q.client, q.broker, live_workers(q.client, q.broker))
            except redis.RedisError:
                pass
        yield GaugeMetricFamily("dlgrade_broker_up", "1 when the Redis broker answered the last probe.",
                                value=int(q.broker_up))
        yield GaugeMetricFamily("dlgrade_broker_queued_jobs", "Jobs waiting in the broker's queue.",
                                value=q.in_queue)
        yield GaugeMetricFamily("dlgrade_broker_unacked_jobs", "Jobs delivered to workers and not yet acknowledged.",
                                value=q.unacked)
        yield GaugeMetricFamily("dlgrade_broker_outbox", "Submissions stored but not yet sent to the broker.",
                                value=len(q.outbox))
        yield CounterMetricFamily("dlgrade_broker_published", "Jobs this API process sent to the broker.",
                                  value=q.published)
        yield GaugeMetricFamily("dlgrade_workers", "Workers with a live heartbeat.", value=len(workers))
        yield GaugeMetricFamily("dlgrade_broker_lost_jobs",
                                "Jobs taken by a worker whose heartbeat lapsed, not yet handed back.", value=len(q.lost))
        families = {
            "active": GaugeMetricFamily("dlgrade_worker_active", "Gradings running on the worker.", labels=["worker"]),
            "slots": GaugeMetricFamily("dlgrade_worker_slots", "Gradings the worker runs at a time.",
                                       labels=["worker"]),
            "age": GaugeMetricFamily("dlgrade_worker_heartbeat_age_seconds", "Seconds since the worker's heartbeat.",
                                     labels=["worker"]),
            "isolated": GaugeMetricFamily("dlgrade_worker_isolated", "1 when the worker fully isolates student code.",
                                          labels=["worker"]),
            "processed": CounterMetricFamily("dlgrade_worker_jobs", "Jobs the worker finished (since it started).",
                                             labels=["worker"]),
            "retried": CounterMetricFamily("dlgrade_worker_deferred_jobs",
                                           "Jobs deferred because another worker held their lease.",
                                           labels=["worker"]),
            "dead": CounterMetricFamily("dlgrade_worker_dead_lettered",
                                        "Submissions given up after repeated interrupted gradings.",
                                        labels=["worker"]),
            "reclaimed": CounterMetricFamily("dlgrade_worker_reclaimed_jobs",
                                             "Jobs of lost workers the worker handed back to the queue.",
                                             labels=["worker"]),
        }
        for w in workers:
            families["active"].add_metric([w.name], w.active)
            families["slots"].add_metric([w.name], w.concurrency)
            families["age"].add_metric([w.name], heartbeat_age(w))
            families["isolated"].add_metric([w.name], int(w.isolation_full))
            families["processed"].add_metric([w.name], w.processed)
            families["retried"].add_metric([w.name], w.retried)
            families["dead"].add_metric([w.name], w.dead_lettered)
            families["reclaimed"].add_metric([w.name], w.reclaimed)
        yield from families.values()
