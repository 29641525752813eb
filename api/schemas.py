"""Request and response bodies of the HTTP API (separate from the stored records in ``api.models``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grader.report import STATUSES

SubmissionStatus = Literal["queued", "running", "done", "error"]
ItemStatus = Literal[STATUSES]  # type: ignore[valid-type] - the engine's one list


class SubmissionCreate(BaseModel):
    """A submission as JSON (the alternative to a multipart upload with ``exercise`` and ``file``)."""

    model_config = ConfigDict(extra="forbid")

    exercise: str = Field(min_length=1, max_length=64, examples=["layers"])
    filename: str = Field("submission.py", min_length=1, max_length=255, examples=["s001.py"],
                          description="A display name ending in .py or .ipynb (never used as a path).")
    source: str = Field(description="The file's text: Python source, or a notebook's JSON.")


class Mistake(BaseModel):
    id: str
    title: str
    explanation: str | None = None


class ReportItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    status: ItemStatus
    score: float
    max_score: float
    feedback: str
    hint: str
    section: str
    mistake: Mistake | None = None


class SyntaxProblem(BaseModel):
    """A place of the submission that does not parse; a report lists these first (the usual cause of
    items whose names are "not defined")."""

    file: str
    cell: int | None = Field(None, description="The notebook cell (1-based); null for a .py file.")
    line: int = Field(description="The line of the syntax error, in the file or in the cell.")
    end_line: int | None = Field(None, description="The last line skipped with it (a .py keeps what parses).")
    message: str = Field(description="Python's message, e.g. \"'(' was never closed\".")
    text: str = Field(description="The line itself.")


class Report(BaseModel):
    """The grading report of INTERFACES.md, in the language asked for."""

    model_config = ConfigDict(extra="allow")

    exercise: str
    submission: str
    score: float
    max_score: float
    duration_ms: int
    lang: Literal["ja", "en"]
    items: list[ReportItem]
    notes: list[str] = []
    output: str = ""
    syntax_errors: list[SyntaxProblem] = []


class SubmissionSummary(BaseModel):
    id: int
    kind: Literal["submission", "check"] = Field(
        "submission", description="submission: graded, in the gradebook; check: a practice check, never counted.")
    status: SubmissionStatus
    exercise: str
    student: str
    filename: str
    size: int
    created_at: datetime
    finished_at: datetime | None = None
    score: float | None = None
    max_score: float | None = None


class SubmissionOut(SubmissionSummary):
    started_at: datetime | None = None
    attempts: int = 0
    error: str | None = Field(None, description="Why the grader (not the student's code) failed, for status error.")
    report: Report | None = None


class SubmissionList(BaseModel):
    total: int
    items: list[SubmissionSummary]


class CatalogueItem(BaseModel):
    id: str
    points: float
    section: str


class ExerciseOut(BaseModel):
    id: str
    title: str
    section: str
    notebooks: list[str]
    max_score: float
    items: list[CatalogueItem]
    requires: list[str] = Field(default_factory=list, description="Optional packages the grader needs for it (torch).")
    available: bool = Field(True, description="False when a package it requires is not installed on this grader.")
    unavailable_reason: str | None = Field(None, description="Why it cannot be graded here, and how to install "
                                                            "what is missing.")


class Catalogue(BaseModel):
    exercises: list[ExerciseOut]


class VariantOut(BaseModel):
    """A student's numbers of an exercise with per-student variants (INTERFACES.md)."""

    exercise: str
    student: str | None = Field(description="The student; null for the text's numbers (the practice variant).")
    variant: dict[str, Any] = Field(description="Each number by name, as a nested list.")


class VariantMatch(BaseModel):
    """A wrong answer of a graded submission that fits someone else's numbers (instructors)."""

    submission: int
    kind: str = Field(description="submission (graded) or check (a practice check, never counted).")
    student: str
    exercise: str
    item: str
    created_at: datetime
    students: list[str] = Field(description="Whose numbers the answer fits.")
    practice: bool = Field(description="The answer fits the text's (practice) numbers.")


class Me(BaseModel):
    name: str
    role: Literal["student", "instructor"]


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    database: bool
    queue: dict
    isolation: dict
    exercises: int
    problems: list[str] = []
    warnings: list[str] = []


class Problem(BaseModel):
    """An error: ``detail`` is a message in the caller's language (a list for FastAPI's own validation)."""

    detail: str | list
    reason: str | None = Field(None, description="A stable keyword for refusals: too_large, rate_limited, busy, ...")


AUTH_RESPONSES = {401: {"model": Problem, "description": "No valid bearer token."}}
