"""Grading jobs: idempotent, recovered after a crash, given up after repeated crashes; migrations match models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from api.accounts import get_or_create_account
from api.db import open_database
from api.grading import grade_submission, recover_pending
from api.models import Base, Submission, utcnow
from api_testing import make_settings


def stored(sessions, status="queued", attempts=0, source=b"def relu(x):\n    return x\n") -> int:
    with sessions.begin() as db:
        account = get_or_create_account(db, "student", "s001")
        sub = Submission(account_id=account.id, exercise="layers", filename="a.py", source=source, size=len(source),
                         sha256="0" * 64, status=status, attempts=attempts, created_at=utcnow())
        db.add(sub)
        db.flush()
        return sub.id


def test_grading_twice_is_harmless(database):
    engine, sessions = open_database(make_settings(database))
    sid = stored(sessions)
    grade_submission(sessions, sid)
    with sessions() as db:
        first = db.get(Submission, sid)
        report, finished = first.report, first.finished_at
    grade_submission(sessions, sid)  # a re-delivered job
    with sessions() as db:
        sub = db.get(Submission, sid)
        assert sub.status == "done" and sub.attempts == 1
        assert sub.report == report and sub.finished_at == finished
    engine.dispose()


def test_recovery_requeues_running_and_gives_up_after_max_attempts(database):
    engine, sessions = open_database(make_settings(database))
    queued, running, crashing = stored(sessions), stored(sessions, "running", 1), stored(sessions, "running", 3)
    done = stored(sessions, "done", 1)
    assert recover_pending(sessions, max_attempts=3) == [queued, running]
    with sessions() as db:
        status = dict(db.execute(select(Submission.id, Submission.status)).all())
        assert status == {queued: "queued", running: "queued", crashing: "error", done: "done"}
        assert "interrupted" in db.get(Submission, crashing).error
    engine.dispose()


def test_unknown_exercise_in_a_stored_submission_ends_as_error(database):
    engine, sessions = open_database(make_settings(database))
    sid = stored(sessions)
    with sessions.begin() as db:
        db.get(Submission, sid).exercise = "retired-exercise"
    grade_submission(sessions, sid)
    with sessions() as db:
        sub = db.get(Submission, sid)
        assert sub.status == "error" and "retired-exercise" in sub.error
    engine.dispose()


def test_migrations_match_the_models_and_rerun_as_no_op(database):
    settings = make_settings(database)
    engine, _ = open_database(settings)
    engine, _ = open_database(settings)  # a second start: already at head
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    engine.dispose()
