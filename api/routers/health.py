"""/healthz and the Prometheus /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

import exercises
from api import metrics
from api.db import read_session
from api.deps import IsolationDep, QueueDep, SessionFactoryDep, SettingsDep
from api.errors import database_errors
from api.models import QUEUED, RUNNING, Submission
from api.schemas import Health

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(response: Response, sessions: SessionFactoryDep, queue: QueueDep, settings: SettingsDep,
            isolation: IsolationDep) -> Health:
    """200 when the service can accept and grade work, 503 (with the problems named) otherwise."""
    problems = []
    try:
        with read_session(sessions) as db:  # on SQLite: no write lock (a locked database still answers)
            db.execute(text("SELECT 1"))
        database = True
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        database = False
        problems.append(f"database: {type(exc).__name__}")
    if not queue.healthy():
        # name what is wrong: the broker, the workers, or this process's own threads
        problems.extend(getattr(queue, "problems", lambda: [])() or ["grading workers are not running"])
    if not isolation.full and not settings.allow_unsandboxed:
        problems.append("student code cannot be fully isolated here, so students are refused "
                        "(set DLGRADE_ALLOW_UNSANDBOXED=1 to accept them anyway)")
    catalogue = exercises.catalogue()
    if not catalogue:
        problems.append("no exercises available")
    if problems:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    # accepting and grading, but something is off (a lost worker's jobs not yet handed back): 200, said
    warnings = getattr(queue, "warnings", lambda: [])()
    return Health(status="unavailable" if problems else "degraded" if warnings else "ok", database=database,
                  queue=queue.describe(), warnings=warnings,
                  isolation={"full": isolation.full, "layers": isolation.layers,
                             "allow_unsandboxed": settings.allow_unsandboxed},
                  exercises=len(catalogue), problems=problems)


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(sessions: SessionFactoryDep) -> Response:
    # depth and running come from the database: they survive restarts and any queue backend
    # (the database may be down, locked or saturated: /metrics answers anyway, with dlgrade_database_up 0)
    try:
        with read_session(sessions) as db:
            counts = dict(db.execute(select(Submission.status, func.count())
                                     .where(Submission.status.in_((QUEUED, RUNNING)))
                                     .group_by(Submission.status)).all())
    except database_errors():
        metrics.DATABASE_UP.set(0)
    else:
        metrics.DATABASE_UP.set(1)
        metrics.QUEUE_DEPTH.set(counts.get(QUEUED, 0))
        metrics.RUNNING.set(counts.get(RUNNING, 0))
    return Response(generate_latest(metrics.registry()), media_type=CONTENT_TYPE_LATEST)
