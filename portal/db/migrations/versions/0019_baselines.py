"""Baselines: an MSP's standard, which checks count and how much, assigned to customers by tag or tier.

- ``baselines``: which checks count (``check_ids``; NULL: the whole catalogue), severity overrides
  (``{check id: severity}``), tenant settings the checks read (``settings``: the allowed Global
  Administrator range, inactivity thresholds...), and who it applies to (``assign_tags``,
  ``assign_tiers``; ``is_default`` for everyone else; ``priority`` orders overlapping assignments).
  The MSP's as a whole: staff read them, MSP admins write them (the policies ask the definer functions
  of migrations 0015 and 0018 about the scope's user), workers read them to score and scan.
- One default per MSP (a partial unique index); names unique among live baselines.
- ``latest_results.scored_severity``: the severity the check counts with under the customer's baseline
  (NULL: it does not count), and ``customers.baseline_id`` / ``baseline_name``: the baseline the score
  was read against. Written by workers when they rescore, so every reader (a customer's own people,
  who cannot read the MSP's baselines, included) sees the same figures without resolving a baseline.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import context, op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker")}


def upgrade() -> None:
    roles = _roles()
    web, worker = roles["web"], roles["worker"]
    op.execute("""
        CREATE TABLE public.baselines (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
          description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
          check_ids text[],
          severity_overrides jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(severity_overrides) = 'object'),
          settings jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
          assign_tags text[] NOT NULL DEFAULT '{}',
          assign_tiers text[] NOT NULL DEFAULT '{}',
          is_default boolean NOT NULL DEFAULT false,
          priority integer NOT NULL DEFAULT 100 CHECK (priority BETWEEN 0 AND 1000),
          created_by text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          deleted_at timestamptz
        )""")
    op.execute("CREATE UNIQUE INDEX uq_baselines_default ON public.baselines (msp_id) "
               "WHERE is_default AND deleted_at IS NULL")
    op.execute("CREATE UNIQUE INDEX uq_baselines_name ON public.baselines (msp_id, lower(name)) "
               "WHERE deleted_at IS NULL")
    staff_reads = "msp_id = (SELECT public.posture_scope_msp()) AND (SELECT public.posture_scope_is_msp_staff())"
    admin_writes = "msp_id = (SELECT public.posture_scope_msp()) AND (SELECT public.posture_scope_is_msp_admin())"
    op.execute("ALTER TABLE public.baselines ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.baselines FORCE ROW LEVEL SECURITY")
    op.execute(f'CREATE POLICY baselines_staff_read ON public.baselines FOR SELECT TO "{web}" USING ({staff_reads})')
    op.execute(f'CREATE POLICY baselines_admin_insert ON public.baselines FOR INSERT TO "{web}" '
               f"WITH CHECK ({admin_writes})")
    op.execute(f'CREATE POLICY baselines_admin_update ON public.baselines FOR UPDATE TO "{web}" '
               f"USING ({admin_writes}) WITH CHECK ({admin_writes})")
    op.execute(f'CREATE POLICY baselines_worker_read ON public.baselines FOR SELECT TO "{worker}" '
               "USING (msp_id = (SELECT public.posture_scope_msp()))")
    op.execute("REVOKE ALL ON public.baselines FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, name, description, check_ids, severity_overrides, settings, '
               f'assign_tags, assign_tiers, is_default, priority, created_by), '
               f'UPDATE (name, description, check_ids, severity_overrides, settings, assign_tags, assign_tiers, '
               f'is_default, priority, updated_at, deleted_at) ON public.baselines TO "{web}"')
    op.execute(f'GRANT SELECT ON public.baselines TO "{worker}"')

    op.execute("ALTER TABLE public.latest_results ADD COLUMN scored_severity text")
    op.execute("UPDATE public.latest_results SET scored_severity = severity")
    op.execute("ALTER TABLE public.customers ADD COLUMN baseline_id uuid, ADD COLUMN baseline_name text")
    op.execute(f'GRANT UPDATE (baseline_id, baseline_name) ON public.customers TO "{worker}"')


def downgrade() -> None:
    op.execute(f'REVOKE UPDATE (baseline_id, baseline_name) ON public.customers FROM "{_roles()["worker"]}"')
    op.execute("ALTER TABLE public.customers DROP COLUMN baseline_name, DROP COLUMN baseline_id")
    op.execute("ALTER TABLE public.latest_results DROP COLUMN scored_severity")
    op.execute("DROP TABLE public.baselines")
