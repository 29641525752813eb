"""Service settings from the environment (``DLGRADE_*``), validated in one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def data_dir() -> Path:
    """The per-user data folder (XDG): ``$XDG_DATA_HOME/dlgrade``, else ``~/.local/share/dlgrade``.

    The default database lives here, so that ``dlgrade token create`` run from any folder writes to the
    database ``dlgrade serve`` uses (it was ``./var/dlgrade.db``: one database per working folder)."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "dlgrade"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'dlgrade.db'}"


class Settings(BaseSettings):
    """Everything the HTTP service can be configured with.  Grading limits live in ``grader.options``."""

    model_config = SettingsConfigDict(env_prefix="DLGRADE_", extra="ignore")

    # storage: embedded SQLite in the per-user data folder (data_dir()) unless DLGRADE_DATABASE_URL names
    # another (a relative sqlite path is under the working directory), or PostgreSQL by URL
    database_url: str = Field(default_factory=default_database_url)
    database_schema: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_]{0,62}$",
                                        description="PostgreSQL schema for the tables (default: public).")
    # a request waits at most this long for the database (a SQLite lock, a pooled PostgreSQL connection),
    # then is answered 503 + Retry-After; the pool holds as many connections as requests run at once
    database_timeout: float = Field(10.0, gt=0, le=60)
    database_pool_size: int = Field(40, ge=1, le=1000,
                                    description="PostgreSQL connections per process (the API runs 40 requests at once).")

    # dispatch: the in-process thread pool; other backends register in api.dispatch.queue.make_queue
    queue: str = "thread"
    workers: int = Field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)), ge=1, le=64)
    queue_size: int = Field(200, ge=1)
    max_attempts: int = Field(3, ge=1, description="Gradings started before a submission is given up as error.")
    max_wait_seconds: float = Field(10.0, ge=0, le=60, description="Upper bound of POST ?wait=.")

    # protection
    max_upload_bytes: int = Field(1 << 20, ge=1)
    rate_limit: int = Field(10, ge=1, description="Submissions per student per rate_window_seconds.")
    check_rate_limit: int = Field(30, ge=1, description="Practice checks per student per rate_window_seconds.")
    rate_window_seconds: float = Field(60.0, gt=0)
    max_concurrent: int = Field(2, ge=1, description="Queued or running submissions per student.")
    busy_retry_after: int = Field(5, ge=1, description="Retry-After (s) when a student or the queue is busy.")
    allow_unsandboxed: bool = False  # instructor opt-out: accept students' code without full isolation

    gradebook_policy: Literal["best", "latest"] = "best"
    default_lang: Literal["ja", "en"] = "ja"

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        # plain postgresql:// would pick psycopg2; we ship psycopg 3
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    def database_location(self) -> str:
        """Where the data is, for people: an SQLite file's absolute path, or the URL without its password."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                return "SQLite in memory"
            path = Path(url.database)
            return f"SQLite {path if path.is_absolute() else Path.cwd() / path}"
        return url.render_as_string(hide_password=True)
