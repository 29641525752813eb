"""``dlgrade serve``, ``dlgrade token create``, ``dlgrade roster import``, ``dlgrade variant`` and
``dlgrade course-secret rotate``.

Registered on the main app by :func:`register` (``grader/cli/app.py``).  Commands parse arguments,
report usage errors with exit status 2 and call library functions.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False)


def usage_error(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(2)


def _settings():
    from pydantic import ValidationError

    from api.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        usage_error(f"invalid DLGRADE_* setting: {exc}")


def _database():
    """A session factory on the configured (and migrated) database."""
    from api.db import open_database

    settings = _settings()
    try:
        engine, sessions = open_database(settings)
    except Exception as exc:  # noqa: BLE001 - any connection/migration failure is the user's setting
        usage_error(f"cannot open the database {settings.database_url!r}: {exc}")
    return engine, sessions


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
          log_level: str = typer.Option("info", "--log-level", help="uvicorn log level.")) -> None:
    """The HTTP service and students' web page (embedded SQLite unless DLGRADE_DATABASE_URL says otherwise)."""
    import uvicorn

    settings = _settings()
    err.print(f"dlgrade: http://{host}:{port}/  (database: {settings.database_location()})", soft_wrap=True)
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, log_level=log_level,
                timeout_graceful_shutdown=15)


def token_create(student: Optional[str] = typer.Option(None, "--student", metavar="ID", help="A student's ID."),
                 instructor: bool = typer.Option(False, "--instructor", help="An instructor token."),
                 name: str = typer.Option("instructor", "--name", help="The instructor's name (with --instructor)."))\
        -> None:
    """Print a new token (only its hash is stored; earlier tokens stay valid)."""
    from api.accounts import InvalidName, create_token
    from api.models import INSTRUCTOR, STUDENT

    if (student is None) == (not instructor):
        usage_error("give exactly one of --student ID or --instructor")
    role, who = (STUDENT, student) if student is not None else (INSTRUCTOR, name)
    engine, sessions = _database()
    try:
        with sessions.begin() as db:
            token = create_token(db, role, who)
        err.print(f"database: {_settings().database_location()}", soft_wrap=True)  # the server must use this one
    except InvalidName as exc:
        usage_error(str(exc))
    finally:
        engine.dispose()
    err.print(f"new {role} token for {who.strip()} (shown once):")
    sys.stdout.write(token + "\n")


def roster_import(file: Path = typer.Argument(..., help="CSV of student IDs (a 'student' or 'id' column, "
                                                           "or the first column)."),
                  out: Optional[Path] = typer.Option(None, "--out", "-o",
                                                     help="Write student,token here (mode 600) instead of stdout."),
                  reissue: bool = typer.Option(False, "--reissue",
                                               help="Also give a new token to students who already have one.")) -> None:
    """Create student accounts from a roster and print each new student's token."""
    from api.accounts import InvalidName, import_roster, parse_roster

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        usage_error(f"{file}: {getattr(exc, 'strerror', None) or exc}")
    try:
        ids = parse_roster(text)
    except InvalidName as exc:
        usage_error(f"{file}: {exc}")
    if not ids:
        usage_error(f"{file}: no student IDs found")
    engine, sessions = _database()
    try:
        with sessions.begin() as db:
            issued, skipped = import_roster(db, ids, reissue=reissue)
        err.print(f"database: {_settings().database_location()}", soft_wrap=True)
    finally:
        engine.dispose()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", "token"])
    writer.writerows(issued.items())
    if out is None:
        sys.stdout.write(buf.getvalue())
    else:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # tokens are secrets
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
    err.print(f"{len(issued)} tokens issued" + (f" to {out}" if out else "")
              + (f"; {len(skipped)} students already had a token (--reissue gives them a new one)" if skipped else ""))


def load_variant_book(students=()):
    """The course's variant book from the configured database (its secret; the known students and
    ``students`` as the roster).  The database is created, with a new secret, if it does not exist yet."""
    from api.course import student_roster, variant_secret
    from grader.variants import VariantBook

    engine, sessions = _database()
    try:
        with sessions.begin() as db:
            secret, known = variant_secret(db), student_roster(db)
    finally:
        engine.dispose()
    return VariantBook(secret, [*known, *students])


def variant_cmd(exercise: str = typer.Argument(..., help="Exercise id, e.g. backprop-examples."),
                student: Optional[str] = typer.Option(None, "--student", metavar="ID",
                                                      help="The student's ID (without it: the text's numbers)."),
                as_json: bool = typer.Option(False, "--json", help='{"exercise", "student", "variant"} on stdout.'),
                lang: str = typer.Option("en", "--lang", help="ja or en: the comments of the code.")) -> None:
    """Print a student's numbers of an exercise with per-student variants, as NumPy code to paste."""
    import json

    import exercises
    from grader.variants import as_code, practice, variant_json

    try:
        ex = exercises.get(exercise)
    except exercises.UnknownExercise as exc:
        usage_error(str(exc))
    if ex.variants is None:
        with_variants = [e.id for e in exercises.catalogue().values() if e.variants is not None]
        usage_error(f"{ex.id} has the same numbers for every student (exercises with variants: "
                    f"{', '.join(with_variants) or 'none'})")
    if lang not in ("en", "ja"):
        usage_error("--lang: use en or ja")
    if student is not None:
        student = student.strip()
        if not student:
            usage_error("--student: an empty ID")
    params = practice(ex) if student is None else load_variant_book().params(ex, student)
    if as_json:
        sys.stdout.write(json.dumps(variant_json(ex, student, params), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(as_code(ex, student, params, lang))


def course_secret_rotate(yes: bool = typer.Option(False, "--yes", help="Do it (every student gets new numbers).")) \
        -> None:
    """Replace the course secret of the per-student variants: every student's numbers change."""
    from api.course import rotate_variant_secret

    if not yes:
        usage_error("rotating gives every student new numbers for the exercises with variants "
                    "(stored reports keep their verdicts; a regrade uses the new numbers): add --yes")
    engine, sessions = _database()
    try:
        with sessions.begin() as db:
            rotate_variant_secret(db)
    finally:
        engine.dispose()
    err.print("a new course secret is stored; restart nothing — every API process and worker reads it per grading")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    token = typer.Typer(no_args_is_help=True, help="Tokens for the HTTP service.")
    token.command("create")(token_create)
    app.add_typer(token, name="token")
    roster = typer.Typer(no_args_is_help=True, help="Student rosters.")
    roster.command("import")(roster_import)
    app.add_typer(roster, name="roster")
    app.command("variant")(variant_cmd)
    secret = typer.Typer(no_args_is_help=True, help="The course secret of the per-student variants.")
    secret.command("rotate")(course_secret_rotate)
    app.add_typer(secret, name="course-secret")
