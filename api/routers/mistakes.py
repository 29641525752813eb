"""/api/v1/mistakes: how often each catalogued mistake was named, per exercise and item (instructors)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

import exercises
from api.submissions import unknown_exercise
from api.deps import DbDep, InstructorAccount, LangDep
from api.gradebook import chosen_submissions
from api.models import DONE, STUDENT, SUBMISSION, Account, Submission
from api.schemas import AUTH_RESPONSES, Problem, VariantMatch
from grader.report import VARIANT_MATCH

router = APIRouter(prefix="/api/v1", tags=["mistakes"], responses=AUTH_RESPONSES)


class MistakeCount(BaseModel):
    exercise: str
    item: str = Field(description="The item id whose feedback named the mistake.")
    mistake: str = Field(description="The mistake's stable id (exercises/mistakes.py or the exercise's own list).")
    title: str = Field(description="The mistake's title in the language asked for.")
    count: int = Field(description="Graded submissions whose report names this mistake for this item.")
    students: int = Field(description="Distinct students among them.")


def _title(mistake: dict, lang: str) -> str:
    title = mistake.get("title")
    if isinstance(title, dict):
        return title.get(lang) or title.get("en") or ""
    return title or ""


@router.get("/mistakes", response_model=list[MistakeCount],
            responses={403: {"model": Problem, "description": "Not an instructor token."},
                       404: {"model": Problem, "description": "Unknown exercise."}})
def mistake_counts(_: InstructorAccount, db: DbDep, lang: LangDep,
                   exercise: Annotated[str | None, Query(max_length=64, description="Only this exercise.")] = None,
                   policy: Annotated[Literal["best", "latest"] | None, Query(description=(
                       "Count one submission per student and exercise (the best or the latest graded one); "
                       "omitted: every graded submission."))] = None) -> list[MistakeCount]:
    """Named mistakes by kind over the students' graded submissions, most frequent first."""
    if exercise is not None:
        try:
            exercises.get(exercise)
        except exercises.UnknownExercise as exc:
            raise unknown_exercise(exc.exercise_id, 404) from None
    query = (select(Submission.id, Submission.exercise, Account.name, Submission.report)
             .join(Submission.account).where(Account.role == STUDENT, Submission.status == DONE,
                                             Submission.kind == SUBMISSION))
    if exercise is not None:
        query = query.where(Submission.exercise == exercise)
    chosen = {c["id"] for c in chosen_submissions(db, policy, exercise).values()} if policy else None
    counts: Counter = Counter()
    students: dict[tuple, set] = defaultdict(set)
    titles: dict[tuple, str] = {}
    for sid, ex, student, report in db.execute(query.order_by(Submission.id)).yield_per(200):
        if chosen is not None and sid not in chosen:
            continue
        for item in (report or {}).get("items", []):
            mistake = item.get("mistake") if isinstance(item, dict) else None
            if not isinstance(mistake, dict) or not mistake.get("id"):
                continue
            key = (ex, item.get("id", ""), mistake["id"])
            counts[key] += 1
            students[key].add(student)
            titles.setdefault(key, _title(mistake, lang))
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [MistakeCount(exercise=ex, item=item, mistake=mid, title=titles[(ex, item, mid)], count=n,
                         students=len(students[(ex, item, mid)]))
            for (ex, item, mid), n in rows]


@router.get("/variant-matches", response_model=list[VariantMatch],
            responses={403: {"model": Problem, "description": "Not an instructor token."},
                       404: {"model": Problem, "description": "Unknown exercise."}})
def variant_matches(_: InstructorAccount, db: DbDep,
                    exercise: Annotated[str | None, Query(max_length=64, description="Only this exercise.")] = None,
                    student: Annotated[str | None, Query(max_length=64, description="Only this student.")] = None) \
        -> list[VariantMatch]:
    """Wrong answers that fit another student's (or the text's) per-student numbers, oldest first: whose."""
    if exercise is not None:
        try:
            exercises.get(exercise)
        except exercises.UnknownExercise as exc:
            raise unknown_exercise(exc.exercise_id, 404) from None
    query = (select(Submission.id, Submission.exercise, Account.name, Submission.created_at, Submission.report,
                    Submission.kind)
             .join(Submission.account).where(Account.role == STUDENT, Submission.status == DONE))
    if exercise is not None:
        query = query.where(Submission.exercise == exercise)
    else:  # only exercises with per-student numbers can have matches
        with_variants = [e.id for e in exercises.catalogue().values() if e.variants is not None]
        query = query.where(Submission.exercise.in_(with_variants))
    if student is not None:
        query = query.where(Account.name == student)
    out: list[VariantMatch] = []
    for sid, ex, who, created, report, kind in db.execute(query.order_by(Submission.id)).yield_per(200):
        for item in (report or {}).get("items", []):
            match = item.get(VARIANT_MATCH) if isinstance(item, dict) else None
            if isinstance(match, dict):
                out.append(VariantMatch(submission=sid, kind=kind, student=who, exercise=ex, item=str(item.get("id", "")),
                                        created_at=created, students=list(match.get("students") or []),
                                        practice=bool(match.get("practice"))))
    return out
