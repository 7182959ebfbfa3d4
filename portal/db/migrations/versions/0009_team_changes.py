"""Changing a member's role and removing a member, through definer functions that check who asks.

A grant cannot tell an MSP admin from an analyst inside one scope, so the login roles may neither
update nor delete memberships; these functions may, for:

- an MSP admin of the scope's MSP, on any membership of that MSP;
- a customer admin, on the memberships of their own customer, and only to customer roles.

An MSP keeps at least one admin: the last one can be neither demoted nor removed. A membership keeps
its kind (an MSP role stays an MSP role; a customer role stays a customer role of that customer).
Row-level security still applies to the definer: a membership outside the caller's scope is not found.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import context, op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_FUNCTIONS = ("posture_change_member(uuid, public.role, text[])", "posture_remove_member(uuid)")
_AUTHORITY = """
          SELECT * INTO target FROM public.memberships WHERE id = p_membership;
          IF target.id IS NULL THEN
            RAISE EXCEPTION 'no such member' USING ERRCODE = 'no_data_found';
          END IF;
          IF NOT EXISTS (SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user()
                         AND m.msp_id = target.msp_id
                         AND (m.role = 'msp_admin' OR (target.customer_id IS NOT NULL AND m.role = 'customer_admin'
                                                       AND m.customer_id = target.customer_id))) THEN
            RAISE EXCEPTION 'only an MSP admin (or the customer''s admin, for its users) changes members'
              USING ERRCODE = 'insufficient_privilege';
          END IF;"""
_LAST_ADMIN = """
          IF target.role = 'msp_admin' AND NOT EXISTS (
               SELECT FROM public.memberships m WHERE m.msp_id = target.msp_id AND m.role = 'msp_admin'
               AND m.id <> target.id) THEN
            RAISE EXCEPTION 'an MSP keeps at least one admin' USING ERRCODE = 'check_violation';
          END IF;"""


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute(f'REVOKE DELETE ON public.memberships FROM "{web}"')
    op.execute(f'GRANT UPDATE (role, tags), DELETE ON public.memberships TO "{definer}"')
    op.execute(f"""
        CREATE FUNCTION public.posture_change_member(p_membership uuid, p_role public.role, p_tags text[])
        RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE target public.memberships;
        BEGIN{_AUTHORITY}
          IF (p_role IN ('msp_admin', 'msp_analyst')) <> (target.customer_id IS NULL) THEN
            RAISE EXCEPTION 'a membership keeps its kind: MSP roles for the MSP, customer roles for a customer'
              USING ERRCODE = 'check_violation';
          END IF;
          IF p_role <> 'msp_admin' THEN{_LAST_ADMIN}
          END IF;
          UPDATE public.memberships SET role = p_role,
            tags = CASE WHEN p_role = 'msp_analyst' THEN coalesce(p_tags, '{{}}') ELSE '{{}}' END
            WHERE id = p_membership;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_remove_member(p_membership uuid) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE target public.memberships;
        BEGIN{_AUTHORITY}{_LAST_ADMIN}
          DELETE FROM public.memberships WHERE id = p_membership;
        END $$""")
    for function in _FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION public.{function} TO "{web}"')
        op.execute(f"""
            DO $$ BEGIN
              ALTER FUNCTION public.{function} OWNER TO "{definer}";
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'public.{function} stays owned by %', current_user;
            END $$""")


def downgrade() -> None:
    roles = _roles()
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute(f'REVOKE UPDATE (role, tags), DELETE ON public.memberships FROM "{roles["definer"]}"')
    op.execute(f'GRANT DELETE ON public.memberships TO "{roles["web"]}"')
