"""Fleet questions, part three: drift (what changed, and when) and per-customer schedules.

- ``finding_changes``: one row each time a scan moves a check of a tenant to a different verdict
  (``new``, ``regressed``, ``fixed``) or leaves it unreadable (``unreadable``). Written by the worker in
  the same transaction that records the scan, so the log is never ahead of or behind the projection;
  read by the drift pages and API. Under the customer-owned policy like the projection. Rows are never
  updated or deleted by the application.
- ``latest_results.settled_status``: the check's last verdict that was ``pass`` or ``fail``. A check
  that fails, then cannot be read for one scan, then fails again has not changed: drift compares
  against this, not against the previous status.
- Schedules: ``customers.scan_window_start`` / ``scan_window_end`` (hours, in ``scan_timezone``) bound
  when scheduled scans start; ``suspended_at`` / ``suspended_by`` stop them. The web role no longer
  writes ``scan_interval_hours``: a customer user's session could otherwise change its own tenant's
  cadence (the lesson of migration 0014). ``posture_set_schedule`` (MSP admins; analysts where the
  customer is at the Manage tier) and ``posture_set_suspended`` (MSP admins) check the signed scope's
  user and write them.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import context, op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
#: Revision 0002's policy, written out again: migrations never import each other.
SCOPE_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
              "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_SCHEDULE = "posture_set_schedule(uuid, integer, smallint, smallint, text)"
_SUSPEND = "posture_set_suspended(uuid, boolean)"
_ACTOR = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    _finding_changes(roles)
    _schedules(roles)


def _finding_changes(roles: dict[str, str]) -> None:
    web, worker = roles["web"], roles["worker"]
    op.execute("""
        CREATE TABLE public.finding_changes (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL,
          customer_id uuid NOT NULL,
          check_id text NOT NULL,
          scan_id uuid NOT NULL REFERENCES public.scans (id) ON DELETE CASCADE,
          observed_at timestamptz NOT NULL,
          kind text NOT NULL CHECK (kind IN ('new', 'regressed', 'fixed', 'unreadable')),
          from_status text,
          to_status text NOT NULL,
          severity text NOT NULL,
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          UNIQUE (scan_id, check_id)
        )""")
    op.execute("CREATE INDEX ix_finding_changes_msp_observed ON public.finding_changes (msp_id, observed_at DESC)")
    op.execute("CREATE INDEX ix_finding_changes_customer_observed "
               "ON public.finding_changes (customer_id, observed_at DESC)")
    op.execute("ALTER TABLE public.finding_changes ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.finding_changes FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY finding_changes_scope ON public.finding_changes USING ({SCOPE_RULE}) "
               f"WITH CHECK ({SCOPE_RULE})")
    op.execute("REVOKE ALL ON public.finding_changes FROM PUBLIC")
    op.execute(f'GRANT SELECT ON public.finding_changes TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT ON public.finding_changes TO "{worker}"')

    op.execute("ALTER TABLE public.latest_results ADD COLUMN settled_status text")
    op.execute("""
        UPDATE public.latest_results SET settled_status = CASE
          WHEN status IN ('pass', 'fail') THEN status
          WHEN previous_status IN ('pass', 'fail') THEN previous_status END""")


def _schedules(roles: dict[str, str]) -> None:
    web, definer = roles["web"], roles["definer"]
    op.execute("""
        ALTER TABLE public.customers
          ADD COLUMN scan_window_start smallint CHECK (scan_window_start BETWEEN 0 AND 23),
          ADD COLUMN scan_window_end smallint CHECK (scan_window_end BETWEEN 0 AND 23),
          ADD COLUMN scan_timezone text NOT NULL DEFAULT 'UTC' CHECK (length(scan_timezone) BETWEEN 1 AND 64),
          ADD COLUMN suspended_at timestamptz,
          ADD COLUMN suspended_by text,
          ADD CONSTRAINT ck_customers_scan_window CHECK (
            (scan_window_start IS NULL) = (scan_window_end IS NULL)
            AND (scan_window_start IS NULL OR scan_window_start <> scan_window_end)),
          ADD CONSTRAINT ck_customers_scan_interval CHECK (scan_interval_hours BETWEEN 1 AND 744)""")
    op.execute(f'REVOKE UPDATE (scan_interval_hours) ON public.customers FROM "{web}"')
    op.execute(f'GRANT SELECT (scan_interval_hours, next_scan_at, suspended_at), '
               f'UPDATE (scan_interval_hours, scan_window_start, scan_window_end, scan_timezone, next_scan_at, '
               f'suspended_at, suspended_by) ON public.customers TO "{definer}"')
    in_scope = """
          SELECT c.access_tier INTO tier FROM public.customers c WHERE c.id = p_customer AND c.msp_id = msp
            AND (public.posture_scope_customers() IS NULL
                 OR p_customer = ANY (CAST(public.posture_scope_customers() AS uuid[])));"""
    op.execute(f"""
        CREATE FUNCTION public.posture_set_schedule(p_customer uuid, p_interval integer, p_start smallint,
                                                    p_end smallint, p_timezone text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          msp uuid := public.posture_scope_msp();
          tier public.access_tier;
        BEGIN
          {in_scope}
          IF NOT FOUND OR NOT EXISTS (
               SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user() AND m.msp_id = msp
               AND m.customer_id IS NULL AND (m.role = 'msp_admin' OR (m.role = 'msp_analyst' AND tier = 'manage')))
          THEN
            RAISE EXCEPTION 'no such customer, or not yours to schedule' USING ERRCODE = 'insufficient_privilege';
          END IF;
          UPDATE public.customers SET scan_interval_hours = p_interval, scan_window_start = p_start,
                 scan_window_end = p_end, scan_timezone = p_timezone
           WHERE id = p_customer;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_set_suspended(p_customer uuid, p_suspended boolean) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          msp uuid := public.posture_scope_msp();
          tier public.access_tier;
        BEGIN
          {in_scope}
          IF NOT FOUND OR NOT EXISTS (
               SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user() AND m.msp_id = msp
               AND m.customer_id IS NULL AND m.role = 'msp_admin')
          THEN
            RAISE EXCEPTION 'no such customer, or not yours to suspend' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_suspended THEN
            UPDATE public.customers SET suspended_at = now(), suspended_by = {_ACTOR}
             WHERE id = p_customer AND suspended_at IS NULL;
          ELSE
            -- Back on the schedule at once: the next run of the scheduler scans it.
            UPDATE public.customers SET suspended_at = NULL, suspended_by = NULL, next_scan_at = now()
             WHERE id = p_customer AND suspended_at IS NOT NULL;
          END IF;
          RETURN FOUND;
        END $$""")
    for function in (_SCHEDULE, _SUSPEND):
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        op.execute(f"""
            DO $$ BEGIN
              ALTER FUNCTION public.{function} OWNER TO "{definer}";
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'public.{function} stays owned by %', current_user;
            END $$""")
        op.execute(f'GRANT EXECUTE ON FUNCTION public.{function} TO "{web}"')


def downgrade() -> None:
    roles = _roles()
    op.execute(f"DROP FUNCTION public.{_SCHEDULE}")
    op.execute(f"DROP FUNCTION public.{_SUSPEND}")
    op.execute(f'REVOKE SELECT (scan_interval_hours, next_scan_at, suspended_at), '
               f'UPDATE (scan_interval_hours, scan_window_start, scan_window_end, scan_timezone, next_scan_at, '
               f'suspended_at, suspended_by) ON public.customers FROM "{roles["definer"]}"')
    op.execute(f'GRANT UPDATE (scan_interval_hours) ON public.customers TO "{roles["web"]}"')
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT ck_customers_scan_interval, "
               "DROP CONSTRAINT ck_customers_scan_window, DROP COLUMN suspended_by, DROP COLUMN suspended_at, "
               "DROP COLUMN scan_timezone, DROP COLUMN scan_window_end, DROP COLUMN scan_window_start")
    op.execute("ALTER TABLE public.latest_results DROP COLUMN settled_status")
    op.execute("DROP TABLE public.finding_changes")
