"""Grading one stored submission, off the request path.  Idempotent: a job delivered twice is harmless."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

from sqlalchemy import select, update

import exercises
from api import metrics
from api.course import variant_book
from api.db import SessionFactory, read_session
from api.models import DONE, ERROR, FINAL_STATUSES, PENDING_STATUSES, QUEUED, RUNNING, STUDENT, Account, Submission, \
    utcnow
from grader.engine import grade_source
from grader.options import grade_options

log = logging.getLogger("dlgrade.api.grading")

# Woken whenever a submission reaches a final status in this process; `_finished_ids` says which, so a
# waiting request re-reads the database only for its own submission (or twice a second, for other backends).
finished = threading.Condition()
_finished_ids: dict[int, float] = {}
_FINISHED_KEEP = 4096


def grading_options(db, exercise_id: str, account: Account):
    """The settings' options; for an exercise with per-student numbers, also the student's id and the
    course's variant book (the secret and the known students: whose numbers a wrong answer fits).
    An instructor's own submission is graded with the text's numbers."""
    options = grade_options()
    try:
        exercise = exercises.get(exercise_id)
    except exercises.UnknownExercise:
        return options
    if exercise.variants is None or account.role != STUDENT:
        return options
    return dataclasses.replace(options, student=account.name, variants=variant_book(db))


def grade_submission(db_session_factory: SessionFactory, submission_id: int) -> None:
    """Load the stored source, grade it, store the report and status."""
    with db_session_factory.begin() as db:
        claimed = db.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status.in_(PENDING_STATUSES))
            .values(status=RUNNING, attempts=Submission.attempts + 1, started_at=utcnow())
        ).rowcount
        if not claimed:
            return  # already final (a re-delivered job) or gone
        sub = db.get(Submission, submission_id)
        exercise_id, filename, source, created_at = sub.exercise, sub.filename, sub.source, sub.created_at
        options = grading_options(db, exercise_id, sub.account)

    t0 = time.perf_counter()
    values: dict
    try:
        report = grade_source(exercises.get(exercise_id), source, filename, options)
    except exercises.UnknownExercise as exc:
        values = {"status": ERROR, "error": f"exercise no longer available: {exc}"}
    except Exception as exc:  # noqa: BLE001 - the grader failed, not the student: record it, keep serving
        log.exception("grading submission %s failed", submission_id)
        values = {"status": ERROR, "error": f"grader failure: {type(exc).__name__}: {exc}"[:2000]}
    else:
        values = {"status": DONE, "report": report.to_bilingual(), "score": float(report.score),
                  "max_score": float(report.max_score), "error": None}
        if any(i.grader_error for i in report.items):
            metrics.FAILURES.labels(exercise_id, "item").inc()
    seconds = time.perf_counter() - t0
    finished_at = utcnow()

    with db_session_factory.begin() as db:
        stored = db.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status.in_(PENDING_STATUSES))
            .values(finished_at=finished_at, **values)
        ).rowcount
    if stored:
        metrics.GRADED.labels(exercise_id, values["status"]).inc()
        metrics.GRADING_SECONDS.labels(exercise_id).observe(seconds)
        metrics.TURNAROUND_SECONDS.labels(exercise_id).observe((finished_at - created_at).total_seconds())
        if values["status"] == ERROR:
            metrics.FAILURES.labels(exercise_id, "submission").inc()
    with finished:
        _finished_ids[submission_id] = time.monotonic()
        if len(_finished_ids) > _FINISHED_KEEP:
            for old in sorted(_finished_ids, key=_finished_ids.get)[: _FINISHED_KEEP // 2]:
                del _finished_ids[old]
        finished.notify_all()


def recover_pending(db_session_factory: SessionFactory, max_attempts: int) -> list[int]:
    """After a (re)start: every queued or running submission, to be graded again, oldest first.

    A submission whose grading was started ``max_attempts`` times without finishing (it keeps
    taking the service down) is given up as ``error`` instead.
    """
    with db_session_factory.begin() as db:
        rows = db.execute(select(Submission.id, Submission.attempts)
                          .where(Submission.status.in_(PENDING_STATUSES)).order_by(Submission.id)).all()
        pending, given_up = [], []
        for sid, attempts in rows:
            (given_up if attempts >= max_attempts else pending).append(sid)
        if pending:
            db.execute(update(Submission).where(Submission.id.in_(pending)).values(status=QUEUED))
        if given_up:
            db.execute(update(Submission).where(Submission.id.in_(given_up)).values(
                status=ERROR, finished_at=utcnow(),
                error=f"grading was interrupted {max_attempts} times; not retried"))
    if given_up:
        log.warning("gave up on submissions %s after %d interrupted gradings", given_up, max_attempts)
    return pending


def wait_until_final(db_session_factory: SessionFactory, submission_id: int, timeout: float) -> str:
    """Block up to ``timeout`` seconds for the submission to be done or error; return its status."""
    deadline = time.monotonic() + timeout
    while True:
        with read_session(db_session_factory) as db:
            status = db.scalar(select(Submission.status).where(Submission.id == submission_id))
        remaining = deadline - time.monotonic()
        if status in FINAL_STATUSES or status is None or remaining <= 0:
            return status
        with finished:
            # other backends finish in other processes: re-check the database at least twice a second
            finished.wait_for(lambda: submission_id in _finished_ids, timeout=min(remaining, 0.5))
