"""Stored records: accounts, their tokens, submissions.  API schemas live in ``api.schemas``."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, TypeDecorator, \
    UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STUDENT, INSTRUCTOR = "student", "instructor"
QUEUED, RUNNING, DONE, ERROR = "queued", "running", "done", "error"
# a graded submission counts in the gradebook; a practice check (POST /api/v1/checks) never does
SUBMISSION, CHECK = "submission", "check"
KINDS = (SUBMISSION, CHECK)
PENDING_STATUSES = (QUEUED, RUNNING)
FINAL_STATUSES = (DONE, ERROR)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class Account(Base):
    """A student (``name`` is the student ID) or an instructor."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("role", "name", name="uq_accounts_role_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tokens: Mapped[list["Token"]] = relationship(back_populates="account")

    @property
    def is_instructor(self) -> bool:
        return self.role == INSTRUCTOR


class Token(Base):
    """A bearer token, stored only as its SHA-256."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="tokens")


class Submission(Base):
    """One upload, stored whole before grading starts; the report is filled in by ``api.grading``.

    ``kind`` tells a graded submission from a practice check: both are graded the same way, only
    submissions reach the gradebook.  ``idempotency_key`` is the client's ``Idempotency-Key``; it is
    unique per account, and ``request_hash`` tells a retry of the same request from a reuse of the key."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_account_created", "account_id", "created_at"),
        Index("ix_submissions_account_status", "account_id", "status"),
        Index("ix_submissions_exercise_account", "exercise", "account_id"),
        Index("ix_submissions_status", "status"),
        Index("uq_submissions_account_idempotency_key", "account_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default=SUBMISSION, server_default=SUBMISSION)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    exercise: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))  # a display name, never a path
    source: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    report: Mapped[dict | None] = mapped_column(JSON)  # Report.to_bilingual()
    error: Mapped[str | None] = mapped_column(Text)  # why the grader (not the student) failed

    account: Mapped[Account] = relationship()

    @property
    def student(self) -> str:
        return self.account.name


class CourseSetting(Base):
    """A course-wide setting every API process and worker reads from here (``api.course``): the
    variant secret.  Never sent to a student process or shown by the API."""

    __tablename__ = "course_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
