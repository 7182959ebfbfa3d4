"""Re-verify: partial scans of a few checks fanned out over a search's tenants, and shared throttling.

- ``scans.check_ids``: the checks a partial scan runs (NULL: the whole catalogue); ``scans.reverify_id``:
  the re-verify it belongs to; the trigger ``reverify``. The web role may set both when it queues one.
- ``reverify_runs``: one re-verify of a search's answer (who, what query, which checks, how many
  tenants), MSP staff's under row-level security like saved searches; its progress is read from its scans.
- ``customers.throttled_until``: Microsoft told a worker to wait (HTTP 429 with ``Retry-After``, still
  throttled after the scanner's own retries). Every worker reads it before it starts on the tenant, so
  a fan-out over a thousand tenants never piles onto one that is throttled. Only workers write it.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import context, op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    web, worker = roles["web"], roles["worker"]
    op.execute("ALTER TYPE public.scan_trigger ADD VALUE IF NOT EXISTS 'reverify'")
    op.execute("""
        CREATE TABLE public.reverify_runs (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          created_by text NOT NULL,
          query text NOT NULL CHECK (length(query) <= 1000),
          check_ids text[] NOT NULL,
          tenants integer NOT NULL CHECK (tenants >= 0),
          skipped integer NOT NULL DEFAULT 0 CHECK (skipped >= 0),
          created_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("ALTER TABLE public.reverify_runs ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.reverify_runs FORCE ROW LEVEL SECURITY")
    staff = "msp_id = (SELECT public.posture_scope_msp()) AND (SELECT public.posture_scope_is_msp_staff())"
    op.execute(f"CREATE POLICY reverify_runs_scope ON public.reverify_runs USING ({staff}) WITH CHECK ({staff})")
    op.execute("REVOKE ALL ON public.reverify_runs FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, created_by, query, check_ids, tenants, skipped) '
               f'ON public.reverify_runs TO "{web}"')

    op.execute("ALTER TABLE public.scans ADD COLUMN check_ids text[], "
               "ADD COLUMN reverify_id uuid REFERENCES public.reverify_runs (id)")
    op.execute("CREATE INDEX ix_scans_reverify_id ON public.scans (reverify_id) WHERE reverify_id IS NOT NULL")
    op.execute(f'GRANT INSERT (check_ids, reverify_id) ON public.scans TO "{web}"')

    op.execute("ALTER TABLE public.customers ADD COLUMN throttled_until timestamptz")
    op.execute(f'GRANT UPDATE (throttled_until) ON public.customers TO "{worker}"')


def downgrade() -> None:
    roles = _roles()
    op.execute(f'REVOKE UPDATE (throttled_until) ON public.customers FROM "{roles["worker"]}"')
    op.execute("ALTER TABLE public.customers DROP COLUMN throttled_until")
    op.execute("DROP INDEX public.ix_scans_reverify_id")
    op.execute("ALTER TABLE public.scans DROP COLUMN reverify_id, DROP COLUMN check_ids")
    op.execute("DROP TABLE public.reverify_runs")
    # An enum value cannot be dropped; 'reverify' stays in scan_trigger, unused.
