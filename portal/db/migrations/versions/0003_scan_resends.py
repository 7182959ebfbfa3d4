"""Scans remember when the schedule last re-sent their message, and how often.

A scan whose message was lost is re-sent by the schedule (``portal.services.scans._start``); with
these columns it is re-sent at most once per stranded period and a bounded number of times, then
failed with a reason, instead of being re-sent on every tick for ever.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scans", sa.Column("resent_at", sa.DateTime(timezone=True)))
    op.add_column("scans", sa.Column("resend_count", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("scans", "resend_count")
    op.drop_column("scans", "resent_at")
