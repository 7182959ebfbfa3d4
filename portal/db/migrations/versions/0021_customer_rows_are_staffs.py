"""Closing what an attack review of issue 10 found: a customer's own people changing its row, a time zone
the scheduler cannot read, and alert deliveries without a lease of their own.

- ``customers``: the web role's column grants (migration 0002) let any session of the customer's scope
  update the row, a customer viewer's included: ``tags`` and ``service_tier`` now choose the baseline
  and the alert rules, ``next_scan_at`` far ahead is a suspension nobody audited, and the connection
  columns are the MSP's. Restrictive policies for the web role allow UPDATE, INSERT and DELETE only to
  MSP staff, or to a scope with no user (the consent callback, signed by the server).
- ``posture_set_schedule`` refuses a time zone PostgreSQL does not know, so a zone stored by a direct
  call cannot stop the scheduler later.
- ``alert_deliveries.leased_at``: when the tick last handed the delivery to a worker. A worker sends only
  if it has not attempted since (``last_attempt_at < leased_at``), and counts its attempt before it
  sends, so a redelivered message sends nothing twice and a worker killed mid-send still uses up one of
  the attempts.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import context, op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_STAFF_OR_SYSTEM = "((SELECT public.posture_scope_user()) IS NULL OR (SELECT public.posture_scope_is_msp_staff()))"
_ACTOR = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def _set_schedule(check_zone: bool) -> str:
    zone = ("""
          PERFORM now() AT TIME ZONE p_timezone;  -- raises invalid_parameter_value for an unknown zone"""
            if check_zone else "")
    return f"""
        CREATE OR REPLACE FUNCTION public.posture_set_schedule(p_customer uuid, p_interval integer, p_start smallint,
                                                               p_end smallint, p_timezone text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          msp uuid := public.posture_scope_msp();
          tier public.access_tier;
        BEGIN
          SELECT c.access_tier INTO tier FROM public.customers c WHERE c.id = p_customer AND c.msp_id = msp
            AND (public.posture_scope_customers() IS NULL
                 OR p_customer = ANY (CAST(public.posture_scope_customers() AS uuid[])));
          IF NOT FOUND OR NOT EXISTS (
               SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user() AND m.msp_id = msp
               AND m.customer_id IS NULL AND (m.role = 'msp_admin' OR (m.role = 'msp_analyst' AND tier = 'manage')))
          THEN
            RAISE EXCEPTION 'no such customer, or not yours to schedule' USING ERRCODE = 'insufficient_privilege';
          END IF;{zone}
          UPDATE public.customers SET scan_interval_hours = p_interval, scan_window_start = p_start,
                 scan_window_end = p_end, scan_timezone = p_timezone
           WHERE id = p_customer;
        END $$"""


def upgrade() -> None:
    roles = _roles()
    web, worker = roles["web"], roles["worker"]
    for command in ("UPDATE", "INSERT", "DELETE"):
        using = "" if command == "INSERT" else f" USING {_STAFF_OR_SYSTEM}"
        check = "" if command == "DELETE" else f" WITH CHECK {_STAFF_OR_SYSTEM}"
        op.execute(f'CREATE POLICY customers_staff_{command.lower()} ON public.customers AS RESTRICTIVE '
                   f'FOR {command} TO "{web}"{using}{check}')
    op.execute(_set_schedule(check_zone=True))

    op.execute("ALTER TABLE public.alert_deliveries ADD COLUMN leased_at timestamptz")
    op.execute(f'GRANT UPDATE (leased_at) ON public.alert_deliveries TO "{worker}"')


def downgrade() -> None:
    roles = _roles()
    op.execute(f'REVOKE UPDATE (leased_at) ON public.alert_deliveries FROM "{roles["worker"]}"')
    op.execute("ALTER TABLE public.alert_deliveries DROP COLUMN leased_at")
    op.execute(_set_schedule(check_zone=False))
    for command in ("update", "insert", "delete"):
        op.execute(f"DROP POLICY customers_staff_{command} ON public.customers")
