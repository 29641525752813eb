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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

import exercises
from api.admission import reserve_slot
from api.models import CHECK, PENDING_STATUSES, QUEUED, SUBMISSION, Account, Submission, utcnow
from api.settings import Settings
from grader.messages import Msg

EXTENSIONS = (".py", ".ipynb")
_UNSAFE = re.compile(r"[\"<>|:*?]")
# an opaque string a client picks (a UUID, typically): printable ASCII, no spaces
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class Refused(Exception):
    """A submission the service does not accept; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str, msg: Msg, retry_after: int | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(msg.en)
        self.status, self.reason, self.msg, self.retry_after = status, reason, msg, retry_after
        self.headers = headers or {}


def unknown_exercise(exercise_id: str, status: int = 422) -> Refused:
    known, given = ", ".join(exercises.catalogue()), exercise_id[:64]
    return Refused(status, "unknown_exercise", Msg(
        en=f"Unknown exercise {given!r}; known: {known}.",
        ja=f"課題 {given!r} はありません。課題: {known}"))


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
        raise unknown_exercise(exercise_id) from None


def check_size(data: bytes, settings: Settings) -> None:
    if len(data) > settings.max_upload_bytes:
        raise too_large(settings)


def too_large(settings: Settings) -> Refused:
    kib = settings.max_upload_bytes / 1024
    return Refused(413, "too_large", Msg(en=f"The submission is larger than the limit of {kib:g} KiB.",
                                         ja=f"提出ファイルが上限の {kib:g} KiB を超えています。"))


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise Refused(422, "idempotency_key_invalid", Msg(
            en="The Idempotency-Key header must be 1 to 255 printable ASCII characters without spaces.",
            ja="Idempotency-Key ヘッダは空白を含まない 1〜255 文字の ASCII 文字列にしてください。"))
    return key


def request_hash(kind: str, exercise_id: str, filename: str, data: bytes) -> str:
    """What tells a retry of a request (same hash) from another request that reuses its key."""
    h = hashlib.sha256()
    for part in (kind, exercise_id, filename):
        h.update(part.encode("utf-8") + b"\0")
    h.update(data)
    return h.hexdigest()


def queue_full(settings: Settings) -> Refused:
    return Refused(503, "queue_full", Msg(en="The grader is busy; please submit again shortly.",
                                          ja="採点待ちが混み合っています。しばらくしてから再提出してください。"),
                   retry_after=settings.busy_retry_after)


# One process stores one submission at a time, so two uploads cannot both slip under a student's limits.
_accept_lock = threading.Lock()


def store_submission(db: Session, account: Account, exercise_id: str, filename: str, data: bytes,
                     settings: Settings, kind: str = SUBMISSION,
                     idempotency_key: str | None = None) -> tuple[Submission, bool]:
    """Check the student's limits and store the submission as queued (committed): ``(submission, False)``.

    With an ``idempotency_key`` this account already used for the same request: ``(that submission, True)``
    and nothing is stored; for a different request, ``Refused`` (422).  Two racing requests with one key
    (other threads, other processes) end on the unique index: the loser replays the winner's submission."""
    fingerprint = request_hash(kind, exercise_id, filename, data) if idempotency_key else None
    with _accept_lock:
        if idempotency_key and (first := _by_key(db, account, idempotency_key)) is not None:
            return _replay(first, fingerprint), True
        if not reserve_slot(db, settings):  # exact QUEUE_SIZE, across API processes (api/admission.py)
            raise queue_full(settings)
        if not account.is_instructor:
            check_limits(db, account, settings, kind)
        sub = Submission(account_id=account.id, kind=kind, exercise=exercise_id, filename=filename, source=data,
                         size=len(data), sha256=hashlib.sha256(data).hexdigest(), status=QUEUED,
                         attempts=0, created_at=utcnow(), idempotency_key=idempotency_key,
                         request_hash=fingerprint)
        db.add(sub)
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            first = _by_key(db, account, idempotency_key) if idempotency_key else None
            if first is None:
                raise
            return _replay(first, fingerprint), True
    return sub, False


def replay_of(db: Session, account: Account, kind: str, exercise_id: str, filename: str, data: bytes,
              key: str) -> Submission | None:
    """The submission this account stored for the same request under ``key``, if any (``Refused`` if the key
    was used for another request): answered before any limit or load check, since it stores nothing."""
    first = _by_key(db, account, key)
    return _replay(first, request_hash(kind, exercise_id, filename, data)) if first is not None else None


def _by_key(db: Session, account: Account, key: str) -> Submission | None:
    return db.scalar(select(Submission).options(joinedload(Submission.account))
                     .where(Submission.account_id == account.id, Submission.idempotency_key == key))


def _replay(first: Submission, fingerprint: str | None) -> Submission:
    if first.request_hash != fingerprint:
        raise Refused(422, "idempotency_key_reused", Msg(
            en=f"This Idempotency-Key was already used for another request (#{first.id}, a {first.kind} of "
               f"{first.exercise!r}); send a new key with a new request.",
            ja=f"この Idempotency-Key は別のリクエスト(#{first.id}、{first.exercise!r} の"
               f"{'チェック' if first.kind == CHECK else '提出'})に使われています。"
               "新しいリクエストには新しいキーを付けてください。"))
    return first


def check_limits(db: Session, account: Account, settings: Settings, kind: str = SUBMISSION) -> None:
    """Submissions and checks have limits of their own: practising never uses up a student's submissions."""
    now = utcnow()
    window_start = now - timedelta(seconds=settings.rate_window_seconds)
    limit = settings.check_rate_limit if kind == CHECK else settings.rate_limit
    mine = (Submission.account_id == account.id, Submission.kind == kind)
    what = Msg(en="checks", ja="チェック") if kind == CHECK else Msg(en="submissions", ja="提出")
    recent = db.execute(select(func.count(), func.min(Submission.created_at))
                        .where(*mine, Submission.created_at > window_start)).one()
    if recent[0] >= limit:
        wait = math.ceil((recent[1] - window_start).total_seconds()) if recent[1] else 1
        raise Refused(429, "rate_limited", Msg(
            en=f"At most {limit} {what.en} per {settings.rate_window_seconds:g} s; try again in {wait} s.",
            ja=f"{what.ja}は {settings.rate_window_seconds:g} 秒あたり {limit} 回までです。"
               f"{wait} 秒後にもう一度送ってください。"), retry_after=max(1, wait))
    pending = db.scalar(select(func.count()).where(*mine, Submission.status.in_(PENDING_STATUSES)))
    if pending >= settings.max_concurrent:
        raise Refused(429, "busy", Msg(
            en=f"You already have {pending} {what.en} waiting to be graded; wait for their reports.",
            ja=f"採点待ちの{what.ja}がすでに {pending} 件あります。採点が終わってから送ってください。"),
            retry_after=settings.busy_retry_after)


def visible(account: Account, kind: str = SUBMISSION) -> list:
    """Conditions for the submissions (or checks) ``account`` may see: a student their own, an instructor all."""
    return [Submission.kind == kind] + ([] if account.is_instructor else [Submission.account_id == account.id])


def find(db: Session, account: Account, submission_id: int, kind: str = SUBMISSION) -> Submission | None:
    return db.scalar(select(Submission).options(joinedload(Submission.account))
                     .where(Submission.id == submission_id, *visible(account, kind)))


@dataclass
class Filters:
    exercise: str | None = None
    student: str | None = None
    status: str | None = None
    kind: str = SUBMISSION
    limit: int = 50
    offset: int = 0


def search(db: Session, account: Account, filters: Filters) -> tuple[int, list[Submission]]:
    """The submissions ``account`` may see that match ``filters``, newest first, and how many there are."""
    where = visible(account, filters.kind)
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
