"""Database engine, sessions and migrations: embedded SQLite (WAL) or PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings

API_DIR = Path(__file__).resolve().parent

SessionFactory = sessionmaker[Session]


def create_db_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings.database_timeout)
    connect_args: dict = {}
    if url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, round(settings.database_timeout))
        if settings.database_schema:
            connect_args["options"] = f"-csearch_path={settings.database_schema}"
    # as many connections as requests run at once (requests hold one only for short transactions);
    # past that a request waits database_timeout for one, then is answered 503 (api.errors)
    size = settings.database_pool_size
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, pool_size=min(10, size),
                         max_overflow=size - min(10, size), pool_timeout=settings.database_timeout)


def _sqlite_engine(url, timeout: float = 30.0) -> Engine:
    if url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            path = Path.cwd() / path
        path.parent.mkdir(parents=True, exist_ok=True)
        url = url.set(database=str(path))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # take the write lock up front: a read that later writes cannot then fail with SQLITE_BUSY;
        # a session opened by `read_session` only reads, and in WAL mode a reader never blocks a writer
        if conn.get_execution_options().get("sqlite_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


def read_session(factory: SessionFactory) -> Session:
    """A session for reads only: on SQLite it does not take the write lock (others are unaffected)."""
    bind = factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return factory()
    return Session(bind.execution_options(sqlite_read_only=True), expire_on_commit=False)


def migrate(engine: Engine, settings: Settings) -> None:
    """``alembic upgrade head`` on this engine (run at every start; a no-op when up to date)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # the API and workers start together (docker compose): one migrates, the others wait for it
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                         {"key": f"dlgrade-migrate:{settings.database_schema or ''}"})
        if settings.database_schema and conn.dialect.name == "postgresql":
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.database_schema}"'))
        cfg = Config(str(API_DIR / "alembic.ini"))
        cfg.set_main_option("script_location", str(API_DIR / "migrations"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(settings: Settings) -> tuple[Engine, SessionFactory]:
    """An engine on the configured database, migrated to the current schema."""
    engine = create_db_engine(settings)
    migrate(engine, settings)
    return engine, session_factory(engine)
