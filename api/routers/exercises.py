"""/api/v1/exercises: the catalogue, and a student's numbers of an exercise with per-student variants."""

from __future__ import annotations

from typing import Annotated

from typing import Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from fastapi.responses import PlainTextResponse

import exercises
from api.accounts import InvalidName, check_name
from api.course import variant_secret
from api.deps import CurrentAccount, DbDep, LangDep
from api.schemas import AUTH_RESPONSES, Catalogue, ExerciseOut, Problem, VariantOut
from api.submissions import unknown_exercise
from grader.cli.render import catalogue_dict
from grader.variants import VariantBook, as_code, practice, variant_json

router = APIRouter(prefix="/api/v1/exercises", tags=["exercises"])


@router.get("", response_model=Catalogue)
def list_exercises(lang: LangDep) -> dict:
    """Every exercise: id, title, section, items and points."""
    return catalogue_dict(exercises.catalogue(), lang)


@router.get("/{exercise_id}", response_model=ExerciseOut, responses={404: {"model": Problem, "description": "Unknown exercise."}})
def get_exercise(exercise_id: Annotated[str, Path(max_length=64)], lang: LangDep) -> dict:
    try:
        ex = exercises.get(exercise_id)
    except exercises.UnknownExercise as exc:
        raise unknown_exercise(exc.exercise_id, 404) from None
    return catalogue_dict({ex.id: ex}, lang)["exercises"][0]


@router.get("/{exercise_id}/variant", response_model=VariantOut, responses={
    **AUTH_RESPONSES,
    200: {"content": {"text/x-python": {}}, "description": "The numbers (JSON; with ?format=py: NumPy code)."},
    403: {"model": Problem, "description": "A student asked for someone else's numbers."},
    422: {"model": Problem, "description": "Not a valid student ID."},
    404: {"model": Problem, "description": "Unknown exercise, or one with the same numbers for everyone."}})
def get_variant(exercise_id: Annotated[str, Path(max_length=64)], account: CurrentAccount, db: DbDep, lang: LangDep,
                student: Annotated[str | None, Query(max_length=64, description=(
                    "Instructors: whose numbers (omitted: the text's, practice numbers). "
                    "A student token always gets its own."))] = None,
                format: Annotated[Literal["json", "py"], Query(description=(
                    "json (default): {exercise, student, variant}; py: the same numbers as NumPy code to "
                    "paste, as `dlgrade variant` prints them (the web page shows this)."))] = "json"):
    """The caller's numbers of an exercise with per-student variants (an instructor: ``?student=ID``)."""
    try:
        ex = exercises.get(exercise_id)
    except exercises.UnknownExercise as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    if ex.variants is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{ex.id} has the same numbers for every student")
    if not account.is_instructor:
        if student is not None and student.strip() != account.name:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "a student sees only their own numbers")
        student = account.name
    elif student is not None and student.strip():
        try:
            student = check_name(student)
        except InvalidName as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    else:
        student = None
    params = practice(ex) if student is None else VariantBook(variant_secret(db)).params(ex, student)
    if format == "py":
        return PlainTextResponse(as_code(ex, student, params, lang), media_type="text/x-python")
    return variant_json(ex, student, params)
