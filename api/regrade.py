"""The service's database as a class: ``dlgrade export`` and ``dlgrade regrade``.

Built on the service's own models (``api.models``) and database setup (``api.db``):

- :func:`export_class` turns the stored, graded submissions of one exercise into a
  :class:`grader.classroom.batch.BatchResult` — one row per student of the roster, the counting
  submission chosen by the gradebook policy (best or latest), its ``created_at`` as the
  submission time for deadlines — so every writer of ``dlgrade batch`` (CSV, JSON
  lines, class report, feedback files) serves the service too.
- :func:`regrade` grades every finished submission of an exercise again with the
  current grader (after a fix to a check), stores the new reports unless ``dry_run``,
  and lists the submissions and students whose scores changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from api.models import DONE, FINAL_STATUSES, STUDENT, SUBMISSION, Account, Submission, utcnow
from grader.classroom.batch import (FAILED, GRADED, NO_SUBMISSION, UNGRADABLE, BatchResult, Job, StudentResult,
                          default_jobs, grade_jobs, natural_key)
from grader.messages import Msg


def open_db(database_url: str | None = None):
    """``(engine, session factory)`` on the service's database (DLGRADE_DATABASE_URL unless given), migrated."""
    from api.db import open_database
    from api.settings import Settings

    settings = Settings(database_url=database_url) if database_url else Settings()
    return open_database(settings)


def service_policy() -> str:
    from api.settings import Settings

    return Settings().gradebook_policy


@dataclass
class Stored:
    id: int
    student: str
    filename: str
    status: str
    score: float | None
    max_score: float | None
    report: dict | None
    error: str | None
    created_at: datetime


def stored_submissions(db, exercise_id: str, statuses=None, with_source: bool = False):
    """The exercise's graded submissions (oldest first; practice checks are not regraded), with the student's
    name; sources only if asked."""
    from sqlalchemy import select
    from sqlalchemy.orm import undefer

    q = (select(Submission, Account.name).join(Submission.account)
         .where(Submission.exercise == exercise_id, Account.role == STUDENT, Submission.kind == SUBMISSION,
                Submission.status.in_(statuses or FINAL_STATUSES))
         .order_by(Submission.id))
    if with_source:
        q = q.options(undefer(Submission.source))
    return db.execute(q).all()


def _is_unreadable(report: dict) -> bool:
    """A stored report of a submission that could not be graded at all (INTERFACES.md): every item
    ``error`` with one and the same reason."""
    items = report.get("items") or []
    if not items or any(i.get("status") != "error" for i in items):
        return False
    reasons = {str(i.get("feedback")) for i in items}
    return len(reasons) == 1 and not any(i.get("grader_error") for i in items)


def _result_from_stored(s: Stored, exercise, lateness) -> StudentResult:
    item_scores = {i.id: 0.0 for i in exercise.items}
    report = s.report
    if s.status == DONE and report is not None:
        for it in report.get("items", []):
            if it.get("id") in item_scores:
                item_scores[it["id"]] = round(float(it.get("score", 0.0)), 4)
        if _is_unreadable(report):
            fb = report["items"][0]["feedback"]
            reason = Msg(en=fb.get("en", ""), ja=fb.get("ja", fb.get("en", ""))) if isinstance(fb, dict) \
                else Msg(en=str(fb), ja=str(fb))
            status = UNGRADABLE
        else:
            reason, status = None, GRADED
    else:
        report = None
        status = FAILED
        reason = Msg(en=f"The grader failed on this submission: {s.error or 'unknown error'}",
                     ja=f"採点プログラムがこの提出物で失敗しました: {s.error or '不明なエラー'}")
    r = StudentResult(student=s.student, files=[s.filename], status=status, reason=reason, report=report,
                      max_score=exercise.max_score, item_scores=item_scores,
                      duration_ms=float((report or {}).get("duration_ms") or 0.0), submitted_at=s.created_at,
                      extra={"submission_id": s.id})
    if lateness is not None:
        r.submitted_at = r.submitted_at.astimezone(lateness.zone())
        r.late = lateness.assess(exercise.id, r.submitted_at, r.raw_score, r.max_score)
    return r


def choose(results: list[StudentResult], policy: str) -> StudentResult:
    """The counting submission of one student (results oldest first): ``latest`` graded one, or the
    ``best`` by gradebook score (after any late penalty; the later one on a tie)."""
    done = [r for r in results if r.report is not None] or results
    if policy == "latest":
        return done[-1]
    best = done[0]
    for r in done[1:]:
        if r.score >= best.score:
            best = r
    return best


def export_class(sessions, exercise, policy: str = "best", lateness=None, roster: bool = True) -> BatchResult:
    """The stored results of ``exercise`` as a class (see the module's docstring)."""
    from sqlalchemy import select

    from api.gradebook import check_counts

    t0 = time.perf_counter()
    with sessions() as db:
        rows = stored_submissions(db, exercise.id)
        names = list(db.scalars(select(Account.name).where(Account.role == STUDENT))) if roster else []
        checks = check_counts(db, exercise.id)  # practice checks: counted for the report, never graded
        per_student: dict[str, list[StudentResult]] = {}
        for sub, student in rows:
            s = Stored(sub.id, student, sub.filename, sub.status, sub.score, sub.max_score, sub.report, sub.error,
                       sub.created_at)
            per_student.setdefault(student, []).append(_result_from_stored(s, exercise, lateness))
    results = []
    for student in sorted(set(per_student) | set(names), key=natural_key):
        subs = per_student.get(student)
        if not subs:
            results.append(StudentResult(
                student=student, files=[], status=NO_SUBMISSION, report=None, max_score=exercise.max_score,
                item_scores={i.id: 0.0 for i in exercise.items},
                reason=Msg(en="No graded submission for this exercise.", ja="この課題の採点済みの提出がありません。"),
                extra={"checks": checks.get(student, 0)}))
            continue
        chosen = choose(subs, policy)
        chosen.extra["submissions"] = len(subs)
        chosen.extra["checks"] = checks.get(student, 0)
        results.append(chosen)
    deadline = lateness.deadline_for(exercise.id) if lateness is not None else None
    return BatchResult(exercise_id=exercise.id, item_ids=[i.id for i in exercise.items], max_score=exercise.max_score,
                       results=results, wall_seconds=time.perf_counter() - t0, jobs=0,
                       has_deadline=deadline is not None, deadline=deadline, executor="database")


# --------------------------------------------------------------------------- regrade


@dataclass
class Change:
    submission_id: int
    student: str
    filename: str
    old_status: str
    new_status: str
    old_score: float | None
    new_score: float | None
    items: dict[str, tuple[float | None, float]] = field(default_factory=dict)  # id -> (old, new)
    stored: bool = False
    reason: str | None = None  # when the regrade itself failed (the old report is kept)

    @property
    def delta(self) -> float | None:
        if self.old_score is None or self.new_score is None:
            return None
        return round(self.new_score - self.old_score, 4)

    @property
    def changed(self) -> bool:
        return self.old_status != self.new_status or self.delta != 0 or bool(self.items)


@dataclass
class RegradeResult:
    exercise_id: str
    total: int
    changes: list[Change]            # submissions whose status or score changed
    failed: list[Change]             # submissions the new grader could not grade (kept as they were)
    students: dict[str, tuple[float | None, float | None]]  # gradebook score before/after, changed only
    wall_seconds: float
    dry_run: bool


def _item_scores(report: dict | None) -> dict[str, float]:
    return {i["id"]: round(float(i.get("score", 0.0)), 4) for i in (report or {}).get("items", [])}


def regrade(sessions, exercise, jobs: int | None = None, options=None, dry_run: bool = False,
            policy: str = "best", executor: str = "auto",
            on_start: Callable[[int], None] | None = None, on_result: Callable[[Change], None] | None = None,
            ids: list[int] | None = None) -> RegradeResult:
    """Grade every finished (``done`` or ``error``) submission of ``exercise`` again; store the new
    reports (unless ``dry_run``); list what changed."""
    from sqlalchemy import update

    from grader.options import GradeOptions

    options = options or GradeOptions()
    t0 = time.perf_counter()
    with sessions() as db:
        if exercise.variants is not None and options.variants is None:  # each student's own numbers
            from dataclasses import replace

            from api.course import variant_book

            options = replace(options, variants=variant_book(db))
        rows = stored_submissions(db, exercise.id, with_source=True)
        olds = [Stored(sub.id, student, sub.filename, sub.status, sub.score, sub.max_score, sub.report, sub.error,
                       sub.created_at) for sub, student in rows if ids is None or sub.id in ids]
        sources = {sub.id: sub.source for sub, _ in rows}
    if on_start:
        on_start(len(olds))
    before = {s.student: None for s in olds}
    for student in before:
        mine = [_result_from_stored(s, exercise, None) for s in olds if s.student == student]
        before[student] = choose(mine, policy).score
    jobs_ = [Job(i, s.student, [(s.filename, bytes(sources[s.id]))]) for i, s in enumerate(olds)]
    changes: list[Change] = []
    failed: list[Change] = []
    new_reports: dict[int, dict] = {}

    def finish(index: int, outcome: dict) -> None:
        old = olds[index]
        report = outcome.get("report")
        if outcome["status"] == FAILED or report is None:
            reason = (outcome.get("reason") or {}).get("en")
            c = Change(old.id, old.student, old.filename, old.status, old.status, old.score, old.score,
                       reason=reason)
            failed.append(c)
        else:
            new_reports[old.id] = report
            new_score = round(float(report["score"]), 4)
            old_items = _item_scores(old.report if old.status == DONE else None)
            new_items = _item_scores(report)
            diff = {k: (old_items.get(k), v) for k, v in new_items.items()
                    if old.status == DONE and old_items.get(k) != v}
            c = Change(old.id, old.student, old.filename, old.status, DONE,
                       None if old.score is None else round(old.score, 4), new_score, diff)
            if c.changed:
                changes.append(c)
        if on_result:
            on_result(c)

    grade_jobs(jobs_, exercise, options, max(1, jobs or default_jobs()), finish, executor)
    if not dry_run and new_reports:
        stored = set()
        with sessions.begin() as db:
            for sid, report in new_reports.items():
                n = db.execute(update(Submission)
                               .where(Submission.id == sid, Submission.status.in_(FINAL_STATUSES))
                               .values(status=DONE, report=report, score=float(report["score"]),
                                       max_score=float(report["max_score"]), error=None,
                                       finished_at=utcnow())).rowcount
                if n:
                    stored.add(sid)
        for c in changes:
            c.stored = c.submission_id in stored
    # the gradebook score of each student, before and after
    after_subs: dict[str, list[StudentResult]] = {}
    for s in olds:
        rep = new_reports.get(s.id)
        now = Stored(s.id, s.student, s.filename, DONE if rep is not None else s.status,
                     rep["score"] if rep is not None else s.score, s.max_score,
                     rep if rep is not None else s.report, s.error, s.created_at)
        after_subs.setdefault(s.student, []).append(_result_from_stored(now, exercise, None))
    students = {}
    for student, subs in after_subs.items():
        new = choose(subs, policy).score
        if before.get(student) != new:
            students[student] = (before.get(student), new)
    changes.sort(key=lambda c: c.submission_id)
    return RegradeResult(exercise.id, len(olds), changes, failed, students, time.perf_counter() - t0, dry_run)
