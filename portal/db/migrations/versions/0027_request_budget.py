"""Request budgets: the units every worker process takes against Microsoft's throttling limits.

``request_budget`` counts, per budget key (``graph:requests:app``, ``graph:resource_units:tenant:<id>``)
and time slot, the units the workers have taken (``scanner._budget``; written through
``portal.services.request_budget``). No customer data: keys name the app or a tenant id, counts are
numbers, rows older than a few minutes are deleted by the workers as they go. So no row-level
security (nothing in it belongs to an MSP), UNLOGGED (a crash that loses the counts loses at most a
few seconds of budget bookkeeping, and the writes skip the WAL), and only the worker role may touch it.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from alembic import context, op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def _worker() -> str:
    given = context.config.attributes.get("roles") or {}
    return given.get("worker", "posture_worker")


def upgrade() -> None:
    op.execute("""
        CREATE UNLOGGED TABLE public.request_budget (
          key text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
          slot bigint NOT NULL,
          used integer NOT NULL CHECK (used > 0),
          taken_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (key, slot)
        )""")
    op.execute("REVOKE ALL ON public.request_budget FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT, UPDATE (used), DELETE ON public.request_budget TO "{_worker()}"')


def downgrade() -> None:
    op.execute("DROP TABLE public.request_budget")
