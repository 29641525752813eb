"""What routes receive through ``Depends``: settings, a DB session, the caller's account, the language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.accounts import account_for_token
from api.db import SessionFactory
from api.isolation import Isolation
from api.models import Account
from api.dispatch.queue import GradingQueue
from api.settings import Settings
from api.submissions import Refused
from grader.messages import Msg, normalize_lang


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session_factory(request: Request) -> SessionFactory:
    return request.app.state.session_factory


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


def get_queue(request: Request) -> GradingQueue:
    return request.app.state.queue


def get_isolation(request: Request) -> Isolation:
    return request.app.state.isolation


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
DbDep = Annotated[Session, Depends(get_db)]
QueueDep = Annotated[GradingQueue, Depends(get_queue)]
IsolationDep = Annotated[Isolation, Depends(get_isolation)]

bearer = HTTPBearer(auto_error=False, description="A student or instructor token from `dlgrade token create`.")


def current_account(db: DbDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Account:
    account = account_for_token(db, credentials.credentials) if credentials else None
    # end the lookup's transaction now: the connection (on SQLite, the write lock) goes back at once
    # instead of being held while the upload is read or the request waits (a class at the deadline)
    db.commit()
    if account is None:
        raise Refused(401, "unauthorized", Msg(
            en="A valid token is required (Authorization: Bearer <token>, from your instructor).",
            ja="有効なトークンが必要です(Authorization: Bearer <トークン>。トークンは教員から配られます)。"),
            headers={"WWW-Authenticate": "Bearer"})
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


def instructor_account(account: CurrentAccount) -> Account:
    if not account.is_instructor:
        raise Refused(403, "forbidden", Msg(en="An instructor token is required.",
                                            ja="教員のトークンが必要です。"))
    return account


InstructorAccount = Annotated[Account, Depends(instructor_account)]


def lang_of(request: Request) -> str:
    """``?lang=``, else ``Accept-Language``, else the default (ja, the course's language)."""
    return normalize_lang(request.query_params.get("lang") or request.headers.get("accept-language"),
                          request.app.state.settings.default_lang)


def request_lang(request: Request,
                 lang: Annotated[str | None, Query(description="ja or en; default from Accept-Language, then ja.",
                                                   max_length=35)] = None) -> str:
    return lang_of(request)


LangDep = Annotated[str, Depends(request_lang)]
