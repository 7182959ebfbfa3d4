"""The platform operator's holds and notes: suspending an MSP or a customer, internal notes, invoice
references. None of it is visible to an MSP's own people.

- ``msps.suspended_at`` / ``suspended_by``: an MSP the operator suspended: no scan of any of its
  customers may be inserted (a trigger on ``scans``), and the portal holds its people to reading.
- ``customers.operator_suspended_at`` / ``operator_suspended_by``: the operator's hold on one customer.
  It also sets ``suspended_at`` (every scan path already honours it), and the MSP's own resume
  (``posture_set_suspended``) may no longer lift it, nor bring back a removed customer.
- ``operator_notes``: the operator's internal note on an MSP (``about_customer`` NULL) or on one of its
  customers; ``invoice_references``: the operator's reference (and note) on a closed invoice, for the
  platform's own accounting. Both read and written by the operator only: an MSP's scope, admin or not,
  sees no row, and the workers none either.
- ``posture_operator_suspend_msp``, ``posture_operator_suspend_customer``: the operator's switches
  (definer functions that ask ``posture_scope_is_operator()``); ``posture_operator_msps()`` now says
  which MSPs are suspended.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

from alembic import context, op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_ACTOR = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"
_MSP = "msp_id = (SELECT public.posture_scope_msp())"
_OPERATOR = "(SELECT public.posture_scope_is_operator())"
#: The hold set the suspension itself (the customer was in service): lifting it lifts that too.
_HOLD_MADE_IT = "removed_at IS NULL AND suspended_at IS NOT DISTINCT FROM operator_suspended_at"
_NOT_OPERATOR = ("RAISE EXCEPTION 'only the platform operator may do this' "
                 "USING ERRCODE = 'insufficient_privilege';")


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def _definer_owned(signature: str, definer: str, *callers: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC")
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.{signature} OWNER TO "{definer}";
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'public.{signature} stays owned by %', current_user;
        END $$""")
    for caller in callers:
        op.execute(f'GRANT EXECUTE ON FUNCTION public.{signature} TO "{caller}"')


def _set_suspended(*, honour_holds: bool) -> str:
    holds = ("""
          IF NOT p_suspended AND EXISTS (SELECT FROM public.customers c WHERE c.id = p_customer
                                         AND (c.operator_suspended_at IS NOT NULL OR c.removed_at IS NOT NULL)) THEN
            RAISE EXCEPTION 'suspended by the platform operator, or removed: not yours to resume'
              USING ERRCODE = 'insufficient_privilege';
          END IF;""" if honour_holds else "")
    return f"""
        CREATE OR REPLACE FUNCTION public.posture_set_suspended(p_customer uuid, p_suspended boolean) RETURNS boolean
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
               AND m.customer_id IS NULL AND m.role = 'msp_admin')
          THEN
            RAISE EXCEPTION 'no such customer, or not yours to suspend' USING ERRCODE = 'insufficient_privilege';
          END IF;{holds}
          IF p_suspended THEN
            UPDATE public.customers SET suspended_at = now(), suspended_by = {_ACTOR}
             WHERE id = p_customer AND suspended_at IS NULL;
          ELSE
            -- Back on the schedule at once: the next run of the scheduler scans it.
            UPDATE public.customers SET suspended_at = NULL, suspended_by = NULL, next_scan_at = now()
             WHERE id = p_customer AND suspended_at IS NOT NULL;
          END IF;
          RETURN FOUND;
        END $$"""


def _operator_msps(*, with_suspension: bool) -> str:
    column, value = (", suspended_at timestamptz", ", m.suspended_at") if with_suspension else ("", "")
    return f"""
        CREATE FUNCTION public.posture_operator_msps()
          RETURNS TABLE (id uuid, name text, slug text, created_at timestamptz, customers bigint{column})
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT m.id, m.name::text, m.slug::text, m.created_at,
                 (SELECT count(*) FROM public.customers c WHERE c.msp_id = m.id){value}
            FROM public.msps m
           WHERE public.posture_scope_is_operator()
           ORDER BY m.name
        $$"""


def _session_memberships(*, with_holds: bool) -> str:
    columns, values = (", msp_suspended boolean, customer_held boolean",
                       ", p.suspended_at IS NOT NULL, c.operator_suspended_at IS NOT NULL") if with_holds else ("", "")
    return f"""
        CREATE FUNCTION public.posture_session_memberships(p_token_hash bytea)
        RETURNS TABLE (msp_id uuid, msp_name text, customer_id uuid, customer_name text, role public.role,
                       tags text[]{columns})
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT m.msp_id, p.name::text, m.customer_id, c.name::text, m.role, m.tags::text[]{values}
          FROM public.web_sessions s
          JOIN public.memberships m ON m.user_id = s.user_id
          JOIN public.msps p ON p.id = m.msp_id
          LEFT JOIN public.customers c ON c.id = m.customer_id
          WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
          ORDER BY p.name, c.name NULLS FIRST
        $$"""


def upgrade() -> None:
    roles = _roles()
    web, definer = roles["web"], roles["definer"]
    op.execute("ALTER TABLE public.msps ADD COLUMN suspended_at timestamptz, ADD COLUMN suspended_by text")
    op.execute("ALTER TABLE public.customers ADD COLUMN operator_suspended_at timestamptz, "
               "ADD COLUMN operator_suspended_by text")
    op.execute(f'GRANT SELECT (suspended_at, suspended_by), UPDATE (suspended_at, suspended_by) '
               f'ON public.msps TO "{definer}"')
    op.execute(f'CREATE POLICY msps_definer_suspend ON public.msps FOR UPDATE TO "{definer}" USING (true)')
    op.execute(f'GRANT SELECT (operator_suspended_at, operator_suspended_by), '
               f'UPDATE (operator_suspended_at, operator_suspended_by) ON public.customers TO "{definer}"')

    op.execute("DROP FUNCTION public.posture_operator_msps()")
    op.execute(_operator_msps(with_suspension=True))
    _definer_owned("posture_operator_msps()", definer, web)
    # A held service is shown on every page of its people: their session says so.
    op.execute("DROP FUNCTION public.posture_session_memberships(bytea)")
    op.execute(_session_memberships(with_holds=True))
    _definer_owned("posture_session_memberships(bytea)", definer, web)

    op.execute(f"""
        CREATE FUNCTION public.posture_operator_suspend_msp(p_suspended boolean) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF NOT public.posture_scope_is_operator() THEN {_NOT_OPERATOR} END IF;
          IF p_suspended THEN
            UPDATE public.msps SET suspended_at = now(), suspended_by = {_ACTOR}
             WHERE id = public.posture_scope_msp() AND suspended_at IS NULL;
          ELSE
            UPDATE public.msps SET suspended_at = NULL, suspended_by = NULL
             WHERE id = public.posture_scope_msp() AND suspended_at IS NOT NULL;
          END IF;
          RETURN FOUND;
        END $$""")
    _definer_owned("posture_operator_suspend_msp(boolean)", definer, web)
    op.execute(f"""
        CREATE FUNCTION public.posture_operator_suspend_customer(p_customer uuid, p_suspended boolean) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF NOT public.posture_scope_is_operator() THEN {_NOT_OPERATOR} END IF;
          IF p_suspended THEN
            UPDATE public.customers SET operator_suspended_at = now(), operator_suspended_by = {_ACTOR},
                   suspended_at = coalesce(suspended_at, now()), suspended_by = coalesce(suspended_by, {_ACTOR})
             WHERE id = p_customer AND msp_id = public.posture_scope_msp() AND operator_suspended_at IS NULL;
          ELSE
            -- The operator's hold lifted. The suspension goes with it only where the hold made it: a
            -- customer the MSP had suspended itself, or removed, stays stopped.
            UPDATE public.customers SET operator_suspended_at = NULL, operator_suspended_by = NULL,
                   suspended_at = CASE WHEN {_HOLD_MADE_IT} THEN NULL ELSE suspended_at END,
                   suspended_by = CASE WHEN {_HOLD_MADE_IT} THEN NULL ELSE suspended_by END,
                   next_scan_at = CASE WHEN {_HOLD_MADE_IT} THEN now() ELSE next_scan_at END
             WHERE id = p_customer AND msp_id = public.posture_scope_msp() AND operator_suspended_at IS NOT NULL;
          END IF;
          RETURN FOUND;
        END $$""")
    _definer_owned("posture_operator_suspend_customer(uuid, boolean)", definer, web)
    op.execute(_set_suspended(honour_holds=True))

    # No scan of a suspended MSP's customers, nor of a customer the operator holds, whoever inserts it.
    op.execute(f"""
        CREATE FUNCTION public.posture_scans_not_held() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF EXISTS (SELECT FROM public.msps m WHERE m.id = NEW.msp_id AND m.suspended_at IS NOT NULL)
             OR EXISTS (SELECT FROM public.customers c WHERE c.id = NEW.customer_id
                        AND c.operator_suspended_at IS NOT NULL) THEN
            RAISE EXCEPTION 'the service is suspended by the platform operator: no scans'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN NEW;
        END $$""")
    _definer_owned("posture_scans_not_held()", definer)
    op.execute("CREATE TRIGGER scans_not_held BEFORE INSERT ON public.scans "
               "FOR EACH ROW EXECUTE FUNCTION public.posture_scans_not_held()")

    op.execute(f"""
        CREATE TABLE public.operator_notes (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          about_customer uuid,
          note text NOT NULL CHECK (length(note) <= 4000),
          updated_by text NOT NULL DEFAULT {_ACTOR},
          updated_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, about_customer) REFERENCES public.customers (msp_id, id),
          UNIQUE NULLS NOT DISTINCT (msp_id, about_customer)
        )""")
    op.execute(f"""
        CREATE TABLE public.invoice_references (
          invoice_id uuid PRIMARY KEY,
          msp_id uuid NOT NULL,
          reference text NOT NULL CHECK (length(btrim(reference)) BETWEEN 1 AND 100),
          note text CHECK (length(note) <= 2000),
          updated_by text NOT NULL DEFAULT {_ACTOR},
          updated_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, invoice_id) REFERENCES public.invoices (msp_id, id)
        )""")
    for name in ("operator_notes", "invoice_references"):
        op.execute(f"ALTER TABLE public.{name} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE public.{name} FORCE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON public.{name} FROM PUBLIC")
        op.execute(f"CREATE POLICY {name}_operator ON public.{name} USING ({_MSP} AND {_OPERATOR}) "
                   f"WITH CHECK ({_MSP} AND {_OPERATOR})")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON public.{name} TO "{web}"')


def downgrade() -> None:
    roles = _roles()
    definer = roles["definer"]
    for name in ("invoice_references", "operator_notes"):
        op.execute(f"DROP TABLE public.{name}")
    op.execute("DROP TRIGGER scans_not_held ON public.scans")
    op.execute("DROP FUNCTION public.posture_scans_not_held()")
    op.execute(_set_suspended(honour_holds=False))
    op.execute("DROP FUNCTION public.posture_operator_suspend_customer(uuid, boolean)")
    op.execute("DROP FUNCTION public.posture_operator_suspend_msp(boolean)")
    op.execute("DROP FUNCTION public.posture_session_memberships(bytea)")
    op.execute(_session_memberships(with_holds=False))
    _definer_owned("posture_session_memberships(bytea)", definer, roles["web"])
    op.execute("DROP FUNCTION public.posture_operator_msps()")
    op.execute(_operator_msps(with_suspension=False))
    _definer_owned("posture_operator_msps()", definer, roles["web"])
    op.execute(f'REVOKE SELECT (operator_suspended_at, operator_suspended_by), '
               f'UPDATE (operator_suspended_at, operator_suspended_by) ON public.customers FROM "{definer}"')
    op.execute("DROP POLICY msps_definer_suspend ON public.msps")
    op.execute(f'REVOKE SELECT (suspended_at, suspended_by), UPDATE (suspended_at, suspended_by) '
               f'ON public.msps FROM "{definer}"')
    op.execute("ALTER TABLE public.customers DROP COLUMN operator_suspended_by, DROP COLUMN operator_suspended_at")
    op.execute("ALTER TABLE public.msps DROP COLUMN suspended_by, DROP COLUMN suspended_at")
