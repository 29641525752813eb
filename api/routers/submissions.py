"""/api/v1/submissions: upload (multipart or JSON), status and report, listing, the original file."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from api import metrics
from api.deps import CurrentAccount, DbDep, IsolationDep, LangDep, QueueDep, SessionFactoryDep, SettingsDep
from api.grading import wait_until_final
from api.models import CHECK, FINAL_STATUSES, SUBMISSION, Submission
from api.dispatch.queue import QueueFull
from api.schemas import AUTH_RESPONSES, Problem, SubmissionCreate, SubmissionList, SubmissionOut, SubmissionStatus, SubmissionSummary
from api.settings import Settings
from api.submissions import Filters, Refused, check_exercise, check_idempotency_key, check_size, display_name, \
    find, replay_of, search, store_submission
from grader.messages import Msg
from grader.report import select_lang

router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"], responses=AUTH_RESPONSES)

SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1)]

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["exercise", "file"],
            "properties": {"exercise": {"type": "string", "maxLength": 64},
                           "file": {"type": "string", "format": "binary",
                                    "description": "A .py file or a .ipynb notebook."}}}},
        "application/json": {"schema": SubmissionCreate.model_json_schema()},
    },
}
PROBLEM = {"model": Problem}


def summary(sub: Submission) -> SubmissionSummary:
    return SubmissionSummary(id=sub.id, kind=sub.kind, status=sub.status, exercise=sub.exercise, student=sub.student,
                             filename=sub.filename, size=sub.size, created_at=sub.created_at,
                             finished_at=sub.finished_at, score=sub.score, max_score=sub.max_score)


def detail(sub: Submission, lang: str, instructor: bool = False) -> SubmissionOut:
    """``instructor``: the report keeps the instructors' fields (whose numbers a wrong answer fits)."""
    report = select_lang(sub.report, lang, instructor) if sub.report else None
    return SubmissionOut(**summary(sub).model_dump(), started_at=sub.started_at, attempts=sub.attempts,
                         error=sub.error, report=report)


MAX_FIELDS, MAX_FILES = 8, 1


def form_refused(message: str) -> Refused:
    """A multipart body Starlette refused: too many fields or files, or not multipart at all."""
    if message.startswith("Too many fields"):
        return Refused(400, "too_many_fields", Msg(
            en=f"The form has more than {MAX_FIELDS} fields; send only `exercise` and `file`.",
            ja=f"フォームの項目が {MAX_FIELDS} 個を超えています。`exercise` と `file` だけを送ってください。"))
    if message.startswith("Too many files"):
        return Refused(400, "too_many_files", Msg(
            en=f"The form has more than {MAX_FILES} file; send one `file`.",
            ja=f"フォームのファイルが {MAX_FILES} 個を超えています。`file` を 1 つだけ送ってください。"))
    return Refused(400, "malformed_form", Msg(en=f"The multipart form cannot be read ({message}).",
                                              ja=f"multipart のフォームを読めません({message})。"))


def unprocessable(en: str, ja: str) -> Refused:
    return Refused(422, "malformed", Msg(en=en, ja=ja))


async def read_upload(request: Request, settings: Settings) -> tuple[str, str, bytes]:
    """``(exercise, filename, bytes)`` from a multipart upload or a JSON body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
        except HTTPException as exc:  # Starlette's MultiPartException, as a bare English 400
            raise form_refused(str(exc.detail)) from None
        exercise, upload = form.get("exercise"), form.get("file")
        if exercise is None:
            raise unprocessable("The form needs an `exercise` field.", "フォームに `exercise` がありません。")
        if not isinstance(exercise, str) or not exercise.strip():
            raise unprocessable("The form's `exercise` field is empty: choose an exercise, e.g. layers.",
                                "フォームの `exercise` が空です。課題(たとえば layers)を選んでください。")
        if not isinstance(upload, UploadFile):
            raise unprocessable("The form needs a `file` (a .py or .ipynb upload).",
                                "フォームに `file`(.py か .ipynb のファイル)がありません。")
        data = await upload.read(settings.max_upload_bytes + 1)
        return exercise.strip(), upload.filename or "", data
    if content_type == "application/json":
        try:
            body = SubmissionCreate.model_validate_json(await request.body())
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            raise unprocessable(f"Invalid JSON body: {problems}", f"JSON の内容が正しくありません: {problems}") from None
        try:
            data = body.source.encode("utf-8")
        except UnicodeEncodeError:
            raise unprocessable("`source` is not valid text.", "`source` が正しい文字列ではありません。") from None
        return body.exercise, body.filename, data
    raise Refused(415, "unsupported_media_type", Msg(
        en="Send multipart/form-data (exercise, file) or application/json (exercise, filename, source).",
        ja="multipart/form-data(exercise, file)か application/json(exercise, filename, source)で送ってください。"))


IDEMPOTENCY_KEY = Header(alias="Idempotency-Key", max_length=255, description=(
    "An opaque string (a UUID) the client picks per request: a retry with the same key returns the first "
    "request's answer (header `Idempotent-Replayed: true`) instead of storing another; the same key with "
    "another body is 422."))
WAIT = Query(ge=0, le=60, description=("Seconds to wait for the report (capped by the server's max_wait_seconds); "
                                       "0 answers at once with status queued."))
POST_RESPONSES = {201: {"model": SubmissionOut, "description": "Graded within the wait."},
                  400: {"model": Problem, "description": (
                      "A multipart form that cannot be read: more than 8 fields (reason too_many_fields), "
                      "more than one file (too_many_files), or malformed (malformed_form).")},
                  413: PROBLEM, 415: PROBLEM, 422: PROBLEM, 429: PROBLEM, 503: PROBLEM}


async def accept(kind: str, request: Request, response: Response, account, db, settings: Settings, queue, sessions,
                 lang: str, isolation, wait: float, idempotency_key: str | None, prefix: str) -> SubmissionOut:
    """Store, enqueue and (within ``wait``) grade a submission or a check; a replayed key answers the first one."""
    exercise, raw_name, data = await read_upload(request, settings)
    filename = display_name(raw_name)
    check_exercise(exercise)
    check_size(data, settings)
    key = check_idempotency_key(idempotency_key)
    # a replay stores nothing: it is answered whatever the limits and the load
    sub = await run_in_threadpool(replay_of, db, account, kind, exercise, filename, data, key) if key else None
    replayed = sub is not None
    if not replayed:
        sub, replayed = await _store(kind, account, db, settings, queue, isolation, exercise, filename, data, key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    wait = min(wait, settings.max_wait_seconds)
    if wait > 0 and sub.status not in FINAL_STATUSES:
        await run_in_threadpool(wait_until_final, sessions, sub.id, wait)
        await run_in_threadpool(db.refresh, sub)
    response.headers["Location"] = f"{prefix}/{sub.id}"
    if sub.status in FINAL_STATUSES:
        response.status_code = status.HTTP_201_CREATED
    return detail(sub, lang, account.is_instructor)


async def _store(kind: str, account, db, settings: Settings, queue, isolation, exercise: str, filename: str,
                 data: bytes, key: str | None) -> tuple[Submission, bool]:
    if not account.is_instructor and not settings.allow_unsandboxed and not isolation.full:
        raise Refused(503, "unsandboxed", Msg(
            en="Grading is switched off: student code cannot be isolated on this server. Tell the instructor.",
            ja="このサーバでは提出コードを隔離できないため、採点を停止しています。教員に連絡してください。"))
    busy = Refused(503, "queue_full", Msg(en="The grader is busy; please submit again shortly.",
                                          ja="採点待ちが混み合っています。しばらくしてから再提出してください。"),
                   retry_after=settings.busy_retry_after)
    if not queue.has_room():
        raise busy
    sub, replayed = await run_in_threadpool(store_submission, db, account, exercise, filename, data, settings,
                                            kind, key)
    if replayed:  # another request with the key was stored meanwhile
        return sub, True
    try:
        queue.enqueue(sub.id)
    except QueueFull:
        await run_in_threadpool(_forget, db, sub)
        raise busy from None
    (metrics.CHECKS if kind == CHECK else metrics.SUBMISSIONS).labels(exercise).inc()
    return sub, False


@router.post("", response_model=SubmissionOut, status_code=status.HTTP_202_ACCEPTED,
             openapi_extra={"requestBody": UPLOAD_BODY}, responses=POST_RESPONSES)
async def create_submission(request: Request, response: Response, account: CurrentAccount, db: DbDep,
                            settings: SettingsDep, queue: QueueDep, sessions: SessionFactoryDep, lang: LangDep,
                            isolation: IsolationDep, wait: Annotated[float, WAIT] = 0,
                            idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None) -> SubmissionOut:
    """Submit a .py / .ipynb for grading (it counts in the gradebook).  Stored first, then graded by a worker."""
    return await accept(SUBMISSION, request, response, account, db, settings, queue, sessions, lang, isolation,
                        wait, idempotency_key, router.prefix)


def _forget(db, sub: Submission) -> None:
    db.delete(sub)
    db.commit()


LIMIT = Query(ge=1, le=500)
OFFSET = Query(ge=0, le=10**9)
STUDENT_FILTER = Query(max_length=64, description="instructors only")


def listing(kind: str, account, db, exercise, student, status_, limit: int, offset: int) -> SubmissionList:
    total, rows = search(db, account, Filters(exercise=exercise, student=student, status=status_, kind=kind,
                                              limit=limit, offset=offset))
    return SubmissionList(total=total, items=[summary(s) for s in rows])


@router.get("", response_model=SubmissionList)
def list_submissions(account: CurrentAccount, db: DbDep,
                     exercise: Annotated[str | None, Query(max_length=64)] = None,
                     student: Annotated[str | None, STUDENT_FILTER] = None,
                     status_: Annotated[SubmissionStatus | None, Query(alias="status")] = None,
                     limit: Annotated[int, LIMIT] = 50,
                     offset: Annotated[int, OFFSET] = 0) -> SubmissionList:
    """A student's own graded submissions, or (instructor) everyone's, newest first (checks: /api/v1/checks)."""
    return listing(SUBMISSION, account, db, exercise, student, status_, limit, offset)


@router.get("/{submission_id}", response_model=SubmissionOut, responses={404: PROBLEM})
def get_submission(submission_id: SubmissionId, account: CurrentAccount, db: DbDep, lang: LangDep) -> SubmissionOut:
    """Status and, once graded, the report in the language asked for."""
    return detail(visible_or_404(db, account, submission_id, SUBMISSION), lang, account.is_instructor)


SOURCE_RESPONSES = {200: {"content": {"text/x-python": {}, "application/x-ipynb+json": {}}}, 404: PROBLEM}


@router.get("/{submission_id}/source", response_class=Response, responses=SOURCE_RESPONSES)
def get_source(submission_id: SubmissionId, account: CurrentAccount, db: DbDep) -> Response:
    """The file as it was uploaded."""
    return source_response(visible_or_404(db, account, submission_id, SUBMISSION))


def source_response(sub: Submission) -> Response:
    media = "application/x-ipynb+json" if sub.filename.lower().endswith(".ipynb") else "text/x-python"
    return Response(sub.source, media_type=media, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(sub.filename)}",
        "X-Content-Type-Options": "nosniff"})


KIND_JA = {"submission": "提出", "check": "チェック"}


def visible_or_404(db, account, submission_id: int, kind: str) -> Submission:
    sub = find(db, account, submission_id, kind)
    if sub is None:  # someone else's submission looks exactly like a missing one
        raise Refused(404, "not_found", Msg(en=f"No {kind} #{submission_id}.",
                                            ja=f"{KIND_JA.get(kind, kind)} #{submission_id} はありません。"))
    return sub
