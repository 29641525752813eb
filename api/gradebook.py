"""The CSV gradebook: one row per student, the best or the latest graded submission counting."""

from __future__ import annotations

import csv
import io
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

import exercises
from api.models import DONE, STUDENT, Account, Submission

Policy = Literal["best", "latest"]


def chosen_submissions(db: Session, policy: Policy, exercise: str | None = None) -> dict[tuple[str, str], dict]:
    """``{(student, exercise): {id, score, created_at, count}}`` for every student's graded submissions."""
    query = (select(Account.name, Submission.exercise, Submission.id, Submission.score, Submission.created_at)
             .join(Submission.account).where(Account.role == STUDENT, Submission.status == DONE))
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


def students(db: Session) -> list[str]:
    return list(db.scalars(select(Account.name).where(Account.role == STUDENT).order_by(Account.name)))


def gradebook_csv(db: Session, policy: Policy, exercise: str | None = None) -> str:
    """With ``exercise``: ``student,score,max_score,<item ids>,submission,submitted_at,submissions``
    (the columns of ``dlgrade batch``'s grades.csv first); without: one score column per exercise."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    chosen = chosen_submissions(db, policy, exercise)
    if exercise:
        ex = exercises.get(exercise)
        item_ids = [i.id for i in ex.items]
        reports = dict(db.execute(select(Submission.id, Submission.report)
                                  .where(Submission.id.in_([c["id"] for c in chosen.values()]))).all())
        out.writerow(["student", "score", "max_score", *item_ids, "submission", "submitted_at", "submissions"])
        for student in students(db):
            c = chosen.get((student, exercise))
            if c is None:
                out.writerow([student, "", f"{ex.max_score:g}", *[""] * len(item_ids), "", "", 0])
                continue
            item_scores = {i["id"]: i["score"] for i in (reports.get(c["id"]) or {}).get("items", [])}
            out.writerow([student, f"{c['score']:g}", f"{ex.max_score:g}",
                          *[_num(item_scores.get(i)) for i in item_ids],
                          c["id"], c["created_at"].isoformat(timespec="seconds"), c["count"]])
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
