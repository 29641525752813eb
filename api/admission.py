"""Exact admission: at most ``DLGRADE_QUEUE_SIZE`` submissions wait to be graded, across every API process.

The count is taken in the database — the record of what waits — inside the transaction that stores
the submission, under a lock every API process takes (SQLite: ``BEGIN IMMEDIATE``, which every write
transaction here starts with; PostgreSQL: a transaction-scoped advisory lock).  A burst of 150 uploads
with ``QUEUE_SIZE=50`` therefore stores exactly the room there is, whatever the broker's snapshot says.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from api.models import QUEUED, Submission
from api.settings import Settings


def reserve_slot(db: Session, settings: Settings) -> bool:
    """Take the admission lock for this transaction; True when a submission may still be stored.

    Call it in the transaction that stores the submission, before the insert; the lock is released by
    its commit or rollback, so the next upload counts this one.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                   {"key": f"dlgrade-admission:{settings.database_schema or ''}"})
    waiting = db.scalar(select(func.count()).select_from(Submission).where(Submission.status == QUEUED))
    return waiting < settings.queue_size
