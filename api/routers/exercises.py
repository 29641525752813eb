"""/api/v1/exercises: the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

import exercises
from api.submissions import unknown_exercise
from api.deps import LangDep
from api.schemas import Catalogue, ExerciseOut, Problem
from grader.cli.render import catalogue_dict

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
