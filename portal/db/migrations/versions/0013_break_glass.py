"""Each customer's break-glass accounts, as its MSP records them.

Conditional Access checks accept only recorded emergency-access accounts among a policy's exclusions
(issue 9): the scanner reads them as ``TenantConfig.break_glass_ids``, the worker from this column.
The web role writes it (the portal checks who may: MSP admins, and staff at the Manage tier); the
worker only reads it.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import context, op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _web() -> str:
    given = context.config.attributes.get("roles") or {}
    return given.get("web", "posture_web")


def upgrade() -> None:
    op.execute("ALTER TABLE public.customers ADD COLUMN break_glass_ids text[] NOT NULL DEFAULT '{}'")
    op.execute(f'GRANT UPDATE (break_glass_ids) ON public.customers TO "{_web()}"')


def downgrade() -> None:
    op.execute(f'REVOKE UPDATE (break_glass_ids) ON public.customers FROM "{_web()}"')
    op.execute("ALTER TABLE public.customers DROP COLUMN break_glass_ids")
