"""/api/v1/gradebook.csv: the instructors' download."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

import exercises
from api.submissions import unknown_exercise
from api.deps import DbDep, InstructorAccount, SettingsDep
from api.gradebook import gradebook_csv
from api.schemas import AUTH_RESPONSES, Problem

router = APIRouter(prefix="/api/v1", tags=["gradebook"], responses=AUTH_RESPONSES)


@router.get("/gradebook.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}},
                       403: {"model": Problem, "description": "Not an instructor token."},
                       404: {"model": Problem, "description": "Unknown exercise."}})
def gradebook(_: InstructorAccount, db: DbDep, settings: SettingsDep,
              exercise: Annotated[str | None, Query(max_length=64, description=(
                  "One exercise: a column per item; omitted: a column per exercise."))] = None,
              policy: Annotated[Literal["best", "latest"] | None, Query(description=(
                  "Which graded submission counts (default: the server's gradebook_policy)."))] = None) -> Response:
    """One row per student (every student with a token), the best or the latest graded submission counting."""
    if exercise is not None:
        try:
            exercises.get(exercise)
        except exercises.UnknownExercise as exc:
            raise unknown_exercise(exc.exercise_id, 404) from None
    policy = policy or settings.gradebook_policy
    name = f"gradebook-{exercise or 'all'}-{policy}.csv"
    return Response(gradebook_csv(db, policy, exercise), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
