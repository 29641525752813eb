"""Accepting, finding and listing submissions: the rules, apart from HTTP."""

from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

import exercises
from api.models import PENDING_STATUSES, QUEUED, Account, Submission, utcnow
from api.settings import Settings
from grader.messages import Msg

EXTENSIONS = (".py", ".ipynb")
_UNSAFE = re.compile(r"[\"<>|:*?]")


class Refused(Exception):
    """A submission the service does not accept; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str, msg: Msg, retry_after: int | None = None):
        super().__init__(msg.en)
        self.status, self.reason, self.msg, self.retry_after = status, reason, msg, retry_after


def display_name(raw: str | None) -> str:
    """The uploaded file's name reduced to a harmless display name (it is never used as a path)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    # no control or format characters (a right-to-left override could disguise the extension)
    name = "".join(c for c in _UNSAFE.sub("", name) if unicodedata.category(c) not in ("Cc", "Cf"))
    name = name.strip().lstrip(".")
    if not name.lower().endswith(EXTENSIONS):
        given = (raw or "")[:80]
        raise Refused(422, "file_type", Msg(
            en=f"Upload a .py file or a .ipynb notebook (got {given!r}).",
            ja=f".py ファイルか .ipynb ノートブックを提出してください({given!r} は受け付けられません)。"))
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = stem[:120 - len(ext) - 1] + dot + ext
    return name


def check_exercise(exercise_id: str) -> None:
    try:
        exercises.get(exercise_id)
    except exercises.UnknownExercise:
        known, given = ", ".join(exercises.catalogue()), exercise_id[:64]
        raise Refused(422, "unknown_exercise", Msg(
            en=f"Unknown exercise {given!r}; known: {known}.",
            ja=f"課題 {given!r} はありません。課題: {known}")) from None


def check_size(data: bytes, settings: Settings) -> None:
    if len(data) > settings.max_upload_bytes:
        raise too_large(settings)


def too_large(settings: Settings) -> Refused:
    kib = settings.max_upload_bytes / 1024
    return Refused(413, "too_large", Msg(en=f"The submission is larger than the limit of {kib:g} KiB.",
                                         ja=f"提出ファイルが上限の {kib:g} KiB を超えています。"))


# One process stores one submission at a time, so two uploads cannot both slip under a student's limits.
_accept_lock = threading.Lock()


def store_submission(db: Session, account: Account, exercise_id: str, filename: str, data: bytes,
                     settings: Settings) -> Submission:
    """Check the student's limits and store the submission as queued (committed)."""
    with _accept_lock:
        if not account.is_instructor:
            check_limits(db, account, settings)
        sub = Submission(account_id=account.id, exercise=exercise_id, filename=filename, source=data,
                         size=len(data), sha256=hashlib.sha256(data).hexdigest(), status=QUEUED,
                         attempts=0, created_at=utcnow())
        db.add(sub)
        db.commit()
    return sub


def check_limits(db: Session, account: Account, settings: Settings) -> None:
    now = utcnow()
    window_start = now - timedelta(seconds=settings.rate_window_seconds)
    recent = db.execute(select(func.count(), func.min(Submission.created_at))
                        .where(Submission.account_id == account.id, Submission.created_at > window_start)).one()
    if recent[0] >= settings.rate_limit:
        wait = math.ceil((recent[1] - window_start).total_seconds()) if recent[1] else 1
        raise Refused(429, "rate_limited", Msg(
            en=f"At most {settings.rate_limit} submissions per {settings.rate_window_seconds:g} s; "
               f"try again in {wait} s.",
            ja=f"提出は {settings.rate_window_seconds:g} 秒あたり {settings.rate_limit} 回までです。"
               f"{wait} 秒後にもう一度提出してください。"), retry_after=max(1, wait))
    pending = db.scalar(select(func.count()).where(Submission.account_id == account.id,
                                                   Submission.status.in_(PENDING_STATUSES)))
    if pending >= settings.max_concurrent:
        raise Refused(429, "busy", Msg(
            en=f"You already have {pending} submissions waiting to be graded; wait for their reports.",
            ja=f"採点待ちの提出がすでに {pending} 件あります。採点が終わってから提出してください。"),
            retry_after=settings.busy_retry_after)


def visible(account: Account) -> list:
    """Conditions for the submissions ``account`` may see: a student their own, an instructor all."""
    return [] if account.is_instructor else [Submission.account_id == account.id]


def find(db: Session, account: Account, submission_id: int) -> Submission | None:
    return db.scalar(select(Submission).options(joinedload(Submission.account))
                     .where(Submission.id == submission_id, *visible(account)))


@dataclass
class Filters:
    exercise: str | None = None
    student: str | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0


def search(db: Session, account: Account, filters: Filters) -> tuple[int, list[Submission]]:
    """The submissions ``account`` may see that match ``filters``, newest first, and how many there are."""
    where = visible(account)
    if filters.exercise:
        where.append(Submission.exercise == filters.exercise)
    if filters.student:
        where.append(Submission.account.has(Account.name == filters.student))
    if filters.status:
        where.append(Submission.status == filters.status)
    total = db.scalar(select(func.count(Submission.id)).where(*where))
    rows = db.scalars(select(Submission).options(joinedload(Submission.account)).where(*where)
                      .order_by(Submission.id.desc()).limit(filters.limit).offset(filters.offset)).all()
    return total, list(rows)
