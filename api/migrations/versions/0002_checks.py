"""practice checks and Idempotency-Key: submissions.kind, idempotency_key, request_hash

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="submission"))
        batch.add_column(sa.Column("idempotency_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("request_hash", sa.String(64), nullable=True))
    # NULL keys never collide (SQLite and PostgreSQL): only requests that sent a key are unique
    op.create_index("uq_submissions_account_idempotency_key", "submissions", ["account_id", "idempotency_key"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_submissions_account_idempotency_key", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("request_hash")
        batch.drop_column("idempotency_key")
        batch.drop_column("kind")
