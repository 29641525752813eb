"""Start-up and shutdown of the service: migrate, probe isolation, start graders, recover pending work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

import exercises
from api import isolation, metrics
from api.db import open_database
from api.grading import recover_pending
from api.dispatch.queue import make_queue

log = logging.getLogger("dlgrade.api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    # load every exercise module now: the catalogue's cache is filled lazily and is not thread-safe
    await run_in_threadpool(exercises.catalogue)
    engine, sessions = await run_in_threadpool(open_database, settings)
    log.info("database: %s", settings.database_location())
    app.state.session_factory = sessions
    # distributed mode: students' code runs in the workers, and each checks its own isolation at start
    # (api/dispatch/worker.py); this process only stores and publishes
    distributed = settings.queue == "celery"
    app.state.isolation = isolation.Isolation(True, {"checked_by_each_worker": True}) if distributed \
        else await run_in_threadpool(isolation.probe)
    if not app.state.isolation.full:
        missing = [k for k, ok in app.state.isolation.layers.items() if not ok]
        log.warning("student code is not fully isolated here (%s); students are %s", ", ".join(missing),
                    "accepted (DLGRADE_ALLOW_UNSANDBOXED)" if settings.allow_unsandboxed else "refused")
    app.state.queue = make_queue(settings, sessions)
    app.state.queue.start()
    # whatever was queued or running when the last process stopped (even by kill -9) is graded now;
    # in distributed mode the workers do this (their jobs must not be touched when the API restarts)
    pending = [] if distributed else await run_in_threadpool(recover_pending, sessions, settings.max_attempts)
    if pending:
        log.info("recovered %d submissions to grade", len(pending))
    app.state.queue.enqueue_backlog(pending)
    try:
        yield
    finally:
        await run_in_threadpool(app.state.queue.stop, 10.0)
        engine.dispose()
        metrics.process_exits()
