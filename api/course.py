"""Course-wide settings stored in the database: the secret of the per-student variants.

The secret is generated once (by migration 0003, or here if its row is missing) and read by every
API process and worker from the same database, so they all draw the same numbers for a student.  It
stays in grader-side processes: ``grader.variants.VariantBook`` holds it, the student process never
sees it, no endpoint returns it.  ``dlgrade course-secret rotate`` replaces it: every student then
gets new numbers (stored reports keep their verdicts; a regrade uses the new numbers).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.models import STUDENT, Account, CourseSetting, utcnow
from grader.variants import VariantBook

VARIANT_SECRET = "variant_secret"


def variant_secret(db: Session) -> bytes:
    """The course's variant secret (created if its row is missing)."""
    row = db.get(CourseSetting, VARIANT_SECRET)
    if row is None:
        try:
            with db.begin_nested():
                db.add(CourseSetting(key=VARIANT_SECRET, value=secrets.token_hex(32), updated_at=utcnow()))
        except IntegrityError:  # another process created it first: use theirs
            pass
        row = db.get(CourseSetting, VARIANT_SECRET, populate_existing=True)
    return bytes.fromhex(row.value)


def rotate_variant_secret(db: Session) -> None:
    """A new secret: every student's numbers change (see the module docstring)."""
    row = db.get(CourseSetting, VARIANT_SECRET)
    value = secrets.token_hex(32)
    if row is None:
        db.add(CourseSetting(key=VARIANT_SECRET, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()
    db.flush()


def student_roster(db: Session) -> list[str]:
    """The ids of every known student (the student accounts)."""
    return list(db.scalars(select(Account.name).where(Account.role == STUDENT)))


def variant_book(db: Session, roster: bool = True) -> VariantBook:
    """The secret and (with ``roster``) the known students: what grading with variants needs."""
    return VariantBook(variant_secret(db), student_roster(db) if roster else ())
