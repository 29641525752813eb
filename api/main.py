"""The dlgrade HTTP service: assembles settings, middleware and routers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.body_limit import BodySizeLimit
from api.db import API_DIR
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import (BodyTooLarge, body_too_large_handler, database_error_handler, database_errors,
                        http_error_handler, refused_handler)
from api.lifespan import lifespan
from api.routers import accounts, checks, client, exercises, gradebook, health, mistakes, submissions, web
from api.settings import Settings
from api.submissions import Refused

DESCRIPTION = """Automated grading of the NumPy deep-learning exercises (深層学習 Part 2).

Authenticate with `Authorization: Bearer <token>` (tokens come from `dlgrade token create`).
Reports follow `?lang=ja|en` or `Accept-Language` (default: Japanese)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="dlgrade", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    # JSON escaping can double a source's size; the exact limit is checked on the decoded file
    app.add_middleware(BodySizeLimit, max_bytes=2 * settings.max_upload_bytes + 64 * 1024)
    app.add_exception_handler(Refused, refused_handler)
    app.add_exception_handler(BodyTooLarge, body_too_large_handler)
    for error in database_errors():  # down, locked, saturated or full: 503 + Retry-After (api/errors.py)
        app.add_exception_handler(error, database_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    for module in (health, exercises, submissions, checks, accounts, gradebook, mistakes, client, web):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=API_DIR / "static"), name="static")
    return app
