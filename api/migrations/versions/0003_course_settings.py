"""course_settings: the per-student variants' secret, generated once here

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "course_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # generated once, with the table (migrations run under a lock on PostgreSQL): every API process
    # and worker then reads the same value; `dlgrade course-secret rotate` replaces it
    op.bulk_insert(table, [{"key": "variant_secret", "value": secrets.token_hex(32),
                            "updated_at": datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_table("course_settings")
