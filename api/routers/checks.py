"""/api/v1/checks: practice checks — graded and stored like submissions, never counted in a gradebook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import CurrentAccount, DbDep, IsolationDep, LangDep, QueueDep, SessionFactoryDep, SettingsDep
from api.models import CHECK
from api.routers.submissions import IDEMPOTENCY_KEY, LIMIT, OFFSET, POST_RESPONSES, PROBLEM, SOURCE_RESPONSES, \
    STUDENT_FILTER, UPLOAD_BODY, WAIT, SubmissionId, accept, detail, listing, source_response, visible_or_404
from api.schemas import AUTH_RESPONSES, SubmissionList, SubmissionOut, SubmissionStatus

router = APIRouter(prefix="/api/v1/checks", tags=["checks"], responses=AUTH_RESPONSES)


@router.post("", response_model=SubmissionOut, status_code=status.HTTP_202_ACCEPTED,
             openapi_extra={"requestBody": UPLOAD_BODY}, responses=POST_RESPONSES)
async def create_check(request: Request, response: Response, account: CurrentAccount, db: DbDep,
                       settings: SettingsDep, queue: QueueDep, sessions: SessionFactoryDep, lang: LangDep,
                       isolation: IsolationDep, wait: Annotated[float, WAIT] = 0,
                       idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None) -> SubmissionOut:
    """A practice check: the same bodies as /api/v1/submissions, graded the same way, its own rate limit
    (``check_rate_limit``), stored but never in a gradebook."""
    return await accept(CHECK, request, response, account, db, settings, queue, sessions, lang, isolation,
                        wait, idempotency_key, router.prefix)


@router.get("", response_model=SubmissionList)
def list_checks(account: CurrentAccount, db: DbDep,
                exercise: Annotated[str | None, Query(max_length=64)] = None,
                student: Annotated[str | None, STUDENT_FILTER] = None,
                status_: Annotated[SubmissionStatus | None, Query(alias="status")] = None,
                limit: Annotated[int, LIMIT] = 50,
                offset: Annotated[int, OFFSET] = 0) -> SubmissionList:
    """A student's own checks, or (instructor) everyone's, newest first."""
    return listing(CHECK, account, db, exercise, student, status_, limit, offset)


@router.get("/{check_id}", response_model=SubmissionOut, responses={404: PROBLEM})
def get_check(check_id: SubmissionId, account: CurrentAccount, db: DbDep, lang: LangDep) -> SubmissionOut:
    """Status and, once graded, the report in the language asked for."""
    return detail(visible_or_404(db, account, check_id, CHECK), lang, account.is_instructor)


@router.get("/{check_id}/source", response_class=Response, responses=SOURCE_RESPONSES)
def get_check_source(check_id: SubmissionId, account: CurrentAccount, db: DbDep) -> Response:
    """The source as it was sent."""
    return source_response(visible_or_404(db, account, check_id, CHECK))
