"""Turning refusals into HTTP answers with a message in the caller's language."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import Scope

from api import metrics
from api.deps import lang_of
from api.submissions import Refused, too_large


class BodyTooLarge(Exception):
    """A request body that grew past the upload limit while it was read (chunked uploads)."""


def refused_response(scope: Scope, exc: Refused) -> JSONResponse:
    metrics.REJECTED.labels(exc.reason).inc()
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return JSONResponse({"detail": exc.msg.get(lang_of(Request(scope))), "reason": exc.reason},
                        status_code=exc.status, headers=headers)


async def refused_handler(request: Request, exc: Refused) -> JSONResponse:
    return refused_response(request.scope, exc)


async def body_too_large_handler(request: Request, exc: BodyTooLarge) -> JSONResponse:
    return refused_response(request.scope, too_large(request.app.state.settings))
