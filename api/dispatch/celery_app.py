"""Distributed mode: the Celery application, its settings, and what both sides read from the broker.

Jobs carry only a submission id; the database stays the record of what must be graded.  The API
publishes (``api.dispatch.celery_queue``), workers started by ``dlgrade worker`` grade
(``api.dispatch.worker``).  Redis is the broker; nothing is stored in a result backend.

Delivery guarantees, and where each comes from:

- a job is acknowledged only after grading (``task_acks_late``); a worker that dies mid-job leaves it
  unacknowledged and Redis hands it to another worker after ``visibility_timeout``;
- a job delivered while another worker still grades it (its lease is alive) is retried later,
  never graded twice at once;
- a job lost by the broker itself (Redis restarted without persistence, a publish that failed) is
  found by the workers' reconciler — a pending row no queue, unacked set or lease mentions — and sent
  again;
- a job delivered to a worker whose heartbeat lapsed (``kill -9``, a lost machine) is handed back to
  the queue by the surviving workers' reclaimer once it missed two heartbeats (10 s), instead of
  waiting for ``visibility_timeout`` (120 s): every worker publishes the delivery tags it holds;
- after ``DLGRADE_MAX_ATTEMPTS`` gradings started without finishing (the ``attempts`` column), the
  submission is given up as ``error`` with a note (the dead-letter state) instead of retried forever.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
from celery import Celery
from kombu.transport.redis import PRIORITY_STEPS
from kombu.transport.redis import Channel as RedisChannel
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GRADE_TASK = "dlgrade.grade"


class BrokerSettings(BaseSettings):
    """Distributed-mode settings (``DLGRADE_*``); the database and limits stay in ``api.settings``."""

    model_config = SettingsConfigDict(env_prefix="DLGRADE_", extra="ignore")

    broker_url: str = Field("redis://127.0.0.1:6379/0", pattern=r"^rediss?://",
                            description="Redis URL shared by the API and every worker.")
    celery_queue: str = Field("dlgrade", pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                              description="Queue name; also the prefix of dlgrade's own keys in Redis.")
    visibility_timeout: float = Field(120.0, ge=1,
                                      description="Seconds before a job taken by a lost worker is handed out again.")
    heartbeat_seconds: float = Field(5.0, gt=0, le=60, description="Worker heartbeat and lease refresh period.")
    reconcile_seconds: float = Field(15.0, gt=0, description="Period of the search for jobs the broker lost.")
    reclaim_lost_jobs: bool = Field(True, description="Hand a lost worker's jobs back once it missed two "
                                                      "heartbeats (else: after visibility_timeout).")
    worker_metrics_port: int | None = Field(None, ge=1, le=65535,
                                            description="Serve this worker's Prometheus /metrics on this port.")
    worker_metrics_host: str = Field("0.0.0.0", description="Address the worker's /metrics listens on.")
    worker_heartbeat_file: Path = Field(Path("/tmp/dlgrade-worker.alive"),
                                        description="Touched at every heartbeat (the container HEALTHCHECK).")

    @property
    def lease_ms(self) -> int:
        """A worker holds a lease on each job it grades; three missed heartbeats and it lapses."""
        return int(self.heartbeat_seconds * 3000)

    @property
    def lapse_seconds(self) -> float:
        """Silent this long (two heartbeats missed, half a period of margin), a worker counts as lost."""
        return 2.5 * self.heartbeat_seconds

    def key(self, *parts: object) -> str:
        return ":".join(("dlgrade", self.celery_queue, *map(str, parts)))


def make_celery(broker: BrokerSettings) -> Celery:
    app = Celery("dlgrade", broker=broker.broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=broker.celery_queue,
        task_acks_late=True,  # acknowledged after grading: a lost worker's job is delivered again
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,  # grade_submission records its own failures
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,  # a worker takes only jobs it can start now
        worker_cancel_long_running_tasks_on_connection_loss=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis however long it is away
        broker_transport_options={
            "visibility_timeout": broker.visibility_timeout,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            # look for jobs of lost workers often enough for the visibility timeout to be what counts
            "unacked_restore_interval": max(1.0, min(10.0, broker.visibility_timeout / 4)),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app


def new_task_id(submission_id: int) -> str:
    """Task ids name their submission, so the reconciler can read which jobs the broker holds."""
    return f"{submission_id}.{uuid.uuid4().hex}"


def publish(app: Celery, submission_id: int) -> None:
    app.send_task(GRADE_TASK, args=[submission_id], task_id=new_task_id(submission_id))


def submission_of(task_id: str | None) -> int | None:
    head = (task_id or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def redis_client(broker: BrokerSettings, timeout: float = 5.0) -> redis.Redis:
    return redis.Redis.from_url(broker.broker_url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                health_check_interval=30)


def queue_keys(broker: BrokerSettings) -> list[str]:
    """The Redis lists kombu keeps the queue in (one per priority step)."""
    sep = RedisChannel.sep
    return [broker.celery_queue if pri == 0 else f"{broker.celery_queue}{sep}{pri}" for pri in PRIORITY_STEPS]


def queue_length(client: redis.Redis, broker: BrokerSettings) -> int:
    with client.pipeline(transaction=False) as pipe:
        for key in queue_keys(broker):
            pipe.llen(key)
        return sum(pipe.execute())


def _message_submission(raw: bytes | str, wrapped: bool) -> int | None:
    try:
        message = json.loads(raw)
        if wrapped:  # unacked entries are [message, exchange, routing_key]
            message = message[0]
        return submission_of(message["headers"]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def submissions_held(client: redis.Redis, broker: BrokerSettings, candidates: list[int]) -> set[int]:
    """Which of ``candidates`` the broker still holds: waiting, delivered and unacknowledged, or leased."""
    held: set[int] = set()
    for key in queue_keys(broker):
        held.update(_message_submission(raw, False) for raw in client.lrange(key, 0, -1))
    held.update(_message_submission(raw, True) for raw in client.hvals(RedisChannel.unacked_key))
    if candidates:
        leases = client.mget([broker.key("lease", sid) for sid in candidates])
        held.update(sid for sid, lease in zip(candidates, leases, strict=True) if lease is not None)
    held.discard(None)
    return held


@dataclass
class WorkerInfo:
    """What a worker publishes about itself at every heartbeat."""

    name: str
    host: str
    pid: int
    concurrency: int
    active: int
    processed: int
    retried: int
    dead_lettered: int
    isolation_full: bool
    started: float
    seen: float
    reclaimed: int = 0
    tags: list[str] = field(default_factory=list)  # delivery tags of the jobs it holds (reserved or running)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)


def live_workers(client: redis.Redis, broker: BrokerSettings) -> list[WorkerInfo]:
    """Workers whose heartbeat has not lapsed (their registry key expires with it)."""
    keys = sorted(client.scan_iter(match=broker.key("worker", "*"), count=500))
    workers = []
    for raw in client.mget(keys) if keys else []:
        if raw is None:
            continue
        try:
            workers.append(WorkerInfo(**json.loads(raw)))
        except (ValueError, TypeError):
            continue
    return workers


def heartbeat_age(info: WorkerInfo) -> float:
    return max(0.0, time.time() - info.seen)


@dataclass
class LostJob:
    """A job delivered to a worker that is gone: unacknowledged, and held by no live worker."""

    tag: str
    submission_id: int | None
    age: float


def responsive_workers(client: redis.Redis, broker: BrokerSettings, workers: list[WorkerInfo]) -> list[WorkerInfo]:
    """The workers that missed fewer than two heartbeats, by Redis' own clock (their key's remaining TTL):
    no two machines' clocks are compared."""
    if not workers:
        return []
    with client.pipeline(transaction=False) as pipe:
        for w in workers:
            pipe.pttl(broker.key("worker", w.name))
        ttls = pipe.execute()
    floor = broker.lease_ms - broker.lapse_seconds * 1000  # the key's TTL is a lease from the last beat
    return [w for w, ttl in zip(workers, ttls, strict=True) if ttl is not None and ttl > floor]


def lost_jobs(client: redis.Redis, broker: BrokerSettings, workers: list[WorkerInfo]) -> list[LostJob]:
    """Unacknowledged deliveries that no responsive worker lists among the jobs it holds.

    A worker publishes its delivery tags at every heartbeat, so a delivery it took is listed within one
    heartbeat; one older than two heartbeats and still unlisted belongs to a worker that went silent.
    """
    held = {tag for w in responsive_workers(client, broker, workers) for tag in w.tags}
    now, grace = time.time(), broker.lapse_seconds
    candidates = [(tag.decode() if isinstance(tag, bytes) else tag, score)
                  for tag, score in client.zrange(RedisChannel.unacked_index_key, 0, -1, withscores=True)]
    candidates = [(tag, score) for tag, score in candidates if tag not in held and now - score >= grace]
    if not candidates:
        return []
    raws = client.hmget(RedisChannel.unacked_key, [tag for tag, _ in candidates])
    return [LostJob(tag, _message_submission(raw, True), now - score)
            for (tag, score), raw in zip(candidates, raws, strict=True)
            if raw is not None and _routing_key(raw) == broker.celery_queue]  # not another deployment's


def _routing_key(raw: bytes | str) -> str | None:
    try:
        return json.loads(raw)[2]  # [message, exchange, routing_key]
    except (ValueError, IndexError, TypeError):
        return None
