"""Turning refusals into HTTP answers with a message in the caller's language."""

from __future__ import annotations

import logging
import time

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from api import metrics
from api.deps import lang_of
from api.submissions import Refused, too_large
from grader.messages import Msg

log = logging.getLogger("dlgrade.api")


class BodyTooLarge(Exception):
    """A request body that grew past the upload limit while it was read (chunked uploads)."""


def refused_response(scope: Scope, exc: Refused) -> JSONResponse:
    metrics.REJECTED.labels(exc.reason).inc()
    headers = dict(exc.headers)
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"detail": exc.msg.get(lang_of(Request(scope))), "reason": exc.reason},
                        status_code=exc.status, headers=headers or None)


async def refused_handler(request: Request, exc: Refused) -> JSONResponse:
    return refused_response(request.scope, exc)


NOT_FOUND = Refused(404, "no_such_path", Msg(en="Not found: the server has no such page or endpoint.",
                                            ja="見つかりません(このサーバにそのページや API はありません)。"))
METHOD_NOT_ALLOWED = Refused(405, "method_not_allowed", Msg(en="Method not allowed.", ja="このメソッドは使えません。"))


async def http_error_handler(request: Request, exc: StarletteHTTPException):
    """Starlette's own 404 (no such path) and 405 in the caller's language and the {detail, reason} shape."""
    if exc.status_code == 404 and exc.detail == "Not Found":
        return refused_response(request.scope, NOT_FOUND)
    if exc.status_code == 405 and exc.detail == "Method Not Allowed":
        response = refused_response(request.scope, METHOD_NOT_ALLOWED)
        response.headers.update(exc.headers or {})
        return response
    return await http_exception_handler(request, exc)


async def body_too_large_handler(request: Request, exc: BodyTooLarge) -> JSONResponse:
    return refused_response(request.scope, too_large(request.app.state.settings))


# -- the database failed (down, locked, saturated, full): 503 + Retry-After, never a bare 500 -----------

def database_refusal(exc: Exception, retry_after: int) -> Refused:
    """What a database failure means for the caller; ``reason`` tells IT staff which failure it is."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    text = str(getattr(exc, "orig", None) or exc).lower()
    if "disk is full" in text or "no space left" in text or "disk full" in text:
        return Refused(503, "storage_full", Msg(
            en="The grading server has run out of disk space, so nothing can be stored. Tell the instructor; "
               "try again later.",
            ja="採点サーバのディスクが一杯のため、提出を保存できません。教員に連絡し、しばらくしてから再提出してください。"),
            retry_after=max(60, retry_after))
    if isinstance(exc, PoolTimeout) or "database is locked" in text or "database table is locked" in text \
            or "too many clients" in text or "too many connections" in text:
        return Refused(503, "database_busy", Msg(
            en=f"The grading service is overloaded (its database is busy); please try again in {retry_after} s.",
            ja=f"採点サービスが混み合っています(データベースが処理しきれません)。{retry_after} 秒後にもう一度お試しください。"),
            retry_after=retry_after)
    return Refused(503, "database_unavailable", Msg(
        en=f"The grading service cannot reach its database right now; please try again in {retry_after} s.",
        ja=f"採点サービスがデータベースに接続できません。{retry_after} 秒後にもう一度お試しください。"),
        retry_after=retry_after)


_last_logged = [0.0]


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    refusal = database_refusal(exc, request.app.state.settings.busy_retry_after)
    now = time.monotonic()
    if now - _last_logged[0] > 5:  # an outage fails every request: say it once every few seconds
        _last_logged[0] = now
        log.warning("database failure answered 503 %s: %s: %s", refusal.reason, type(exc).__name__,
                    str(getattr(exc, "orig", None) or exc).splitlines()[0][:300])
    return refused_response(request.scope, refusal)


def database_errors() -> tuple[type[Exception], ...]:
    """The SQLAlchemy errors that mean "the database failed", not "the query is wrong"."""
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return OperationalError, InterfaceError, PoolTimeout
