"""Only MSP admins, and staff at the Manage tier, write a customer's break-glass accounts.

Migration 0013 let the web role update ``customers.break_glass_ids`` like the other settings, and the
portal checked who asks. But a grant cannot tell the roles of one scope apart: an injected query in a
customer admin's session could record any account of its own tenant as break-glass, and make that
account's exclusions pass every Conditional Access check. The column is now written only through
``posture_record_break_glass``, a definer function that checks the signed scope's user holds an MSP
admin membership, or an analyst one where the customer is at the Manage tier, and that the customer
is in the scope.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import context, op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_FUNCTION = "posture_record_break_glass(uuid, text[])"


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "definer")}


def upgrade() -> None:
    roles = _roles()
    web, definer = roles["web"], roles["definer"]
    op.execute(f'REVOKE UPDATE (break_glass_ids) ON public.customers FROM "{web}"')
    op.execute(f'GRANT UPDATE (break_glass_ids) ON public.customers TO "{definer}"')
    op.execute(f"""
        CREATE FUNCTION public.posture_record_break_glass(p_customer uuid, p_ids text[]) RETURNS void
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
            RAISE EXCEPTION 'no such customer, or not yours to configure' USING ERRCODE = 'insufficient_privilege';
          END IF;
          UPDATE public.customers SET break_glass_ids = coalesce(p_ids, '{{}}') WHERE id = p_customer;
        END $$""")
    op.execute(f"REVOKE ALL ON FUNCTION public.{_FUNCTION} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.{_FUNCTION} TO "{web}"')
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.{_FUNCTION} OWNER TO "{definer}";
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'public.{_FUNCTION} stays owned by %', current_user;
        END $$""")


def downgrade() -> None:
    roles = _roles()
    op.execute(f"DROP FUNCTION public.{_FUNCTION}")
    op.execute(f'REVOKE UPDATE (break_glass_ids) ON public.customers FROM "{roles["definer"]}"')
    op.execute(f'GRANT UPDATE (break_glass_ids) ON public.customers TO "{roles["web"]}"')
