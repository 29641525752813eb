"""The CSV gradebook: one row per student, the best or the latest graded submission counting (practice
checks never count; the one-exercise view says how many a student made)."""

from __future__ import annotations

import csv
import io
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import exercises
from api.models import CHECK, DONE, STUDENT, SUBMISSION, Account, Submission

Policy = Literal["best", "latest"]


def chosen_submissions(db: Session, policy: Policy, exercise: str | None = None) -> dict[tuple[str, str], dict]:
    """``{(student, exercise): {id, score, created_at, count}}`` for every student's graded submissions."""
    query = (select(Account.name, Submission.exercise, Submission.id, Submission.score, Submission.created_at)
             .join(Submission.account).where(Account.role == STUDENT, Submission.status == DONE,
                                             Submission.kind == SUBMISSION))
    if exercise:
        query = query.where(Submission.exercise == exercise)
    chosen: dict[tuple[str, str], dict] = {}
    for student, ex, sid, score, created in db.execute(query.order_by(Submission.id)):
        key = (student, ex)
        best = chosen.get(key)
        count = best["count"] + 1 if best else 1
        # rows come oldest first: a later one wins when it is the latest, or at least as good
        if best is None or policy == "latest" or (score or 0.0) >= (best["score"] or 0.0):
            best = {"id": sid, "score": score, "created_at": created}
        chosen[key] = {**best, "count": count}
    return chosen


def check_counts(db: Session, exercise: str) -> dict[str, int]:
    """``{student: practice checks of exercise}``, for students who made any."""
    return dict(db.execute(select(Account.name, func.count(Submission.id)).join(Submission.account)
                           .where(Account.role == STUDENT, Submission.kind == CHECK, Submission.exercise == exercise)
                           .group_by(Account.name)).all())


def students(db: Session) -> list[str]:
    return list(db.scalars(select(Account.name).where(Account.role == STUDENT).order_by(Account.name)))


def gradebook_csv(db: Session, policy: Policy, exercise: str | None = None) -> str:
    """With ``exercise``: ``student,score,max_score,<item ids>,submission,submitted_at,submissions,checks``
    (the columns of ``dlgrade batch``'s grades.csv first; ``checks``: practice checks made, which never
    count); without: one score column per exercise."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    chosen = chosen_submissions(db, policy, exercise)
    if exercise:
        ex = exercises.get(exercise)
        item_ids = [i.id for i in ex.items]
        reports = dict(db.execute(select(Submission.id, Submission.report)
                                  .where(Submission.id.in_([c["id"] for c in chosen.values()]))).all())
        checks = check_counts(db, exercise)
        out.writerow(["student", "score", "max_score", *item_ids, "submission", "submitted_at", "submissions",
                      "checks"])
        for student in students(db):
            c = chosen.get((student, exercise))
            if c is None:
                out.writerow([student, "", f"{ex.max_score:g}", *[""] * len(item_ids), "", "", 0,
                              checks.get(student, 0)])
                continue
            item_scores = {i["id"]: i["score"] for i in (reports.get(c["id"]) or {}).get("items", [])}
            out.writerow([student, f"{c['score']:g}", f"{ex.max_score:g}",
                          *[_num(item_scores.get(i)) for i in item_ids],
                          c["id"], c["created_at"].isoformat(timespec="seconds"), c["count"], checks.get(student, 0)])
    else:
        catalogue = exercises.catalogue()
        out.writerow(["student", *catalogue, "total", "max_total"])
        max_total = sum(ex.max_score for ex in catalogue.values())
        for student in students(db):
            scores = [chosen.get((student, ex_id), {}).get("score") for ex_id in catalogue]
            out.writerow([student, *[_num(s) for s in scores], f"{sum(s or 0.0 for s in scores):g}",
                          f"{max_total:g}"])
    return buf.getvalue()


def _num(value) -> str:
    return "" if value is None else f"{value:g}"
