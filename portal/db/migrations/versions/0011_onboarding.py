"""Onboarding by admin consent: single-use consent requests, and a tenant bound only by the portal
(and two indexes the fleet page needs at a thousand customers).

- ``customers.tenant_id`` may be empty: a customer exists from the moment an MSP admin adds it, and
  learns its tenant when the tenant's administrator consents. The login roles may no longer write it
  at all: with one multi-tenant app for every MSP, a row naming a tenant is what lets workers scan
  it, so a tenant is bound only by ``posture_bind_tenant``, with the portal's signature, after the
  portal has confirmed the consent with a token and ``GET /organization``. One tenant, one customer
  (``UNIQUE (tenant_id)``): a tenant bound elsewhere answers ``taken`` and names nobody.
- ``onboarding_requests``: the consent link's state, kept as a sha256, bound to the MSP, the customer
  and the person who made it, expiring, spent once: by ``posture_bind_tenant`` when the consent is
  confirmed, or by ``posture_close_onboarding`` when it definitely failed (a consent that is still
  spreading through Microsoft leaves it open, so the same callback can be tried again). Made only
  through ``posture_create_onboarding`` with the portal's signature, by MSP staff of the scope's MSP.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import context, op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
#: Revision 0002's policy, written out again: migrations never import each other.
SCOPE_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
              "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_FUNCTIONS = (
    "posture_create_onboarding(uuid, bytea, text, bigint, text)",
    "posture_onboarding_request(bytea)",
    "posture_bind_tenant(uuid, text, text)",
    "posture_close_onboarding(uuid, text, text)",
)
_WEB_INSERT = ("id, customer_id, msp_id, name, default_domain, connection_state, service_tier, seat_limit, tags, "
               "scan_interval_hours, next_scan_at")


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute("ALTER TABLE public.customers ALTER COLUMN tenant_id DROP NOT NULL")
    # The fleet page reads each customer's last finished and last scored scan: with these, one index
    # probe each instead of a sort of the customer's whole history (bench/portal.py).
    op.execute("CREATE INDEX ix_scans_last_finished ON public.scans (msp_id, customer_id, finished_at DESC) "
               "WHERE finished_at IS NOT NULL")
    op.execute("CREATE INDEX ix_scans_last_scored ON public.scans (msp_id, customer_id, finished_at DESC) "
               "WHERE status IN ('completed', 'partial')")
    op.execute(f'REVOKE INSERT ON public.customers FROM "{web}"')
    op.execute(f'GRANT INSERT ({_WEB_INSERT}) ON public.customers TO "{web}"')
    op.execute("""
        CREATE TABLE public.onboarding_requests (
          id uuid PRIMARY KEY,
          msp_id uuid NOT NULL,
          customer_id uuid NOT NULL,
          state_hash bytea NOT NULL UNIQUE,
          created_by uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
          created_by_email text NOT NULL,
          expected_tenant text,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          used_at timestamptz,
          outcome text,
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id) ON DELETE CASCADE
        )""")
    op.execute("CREATE INDEX ix_onboarding_requests_customer ON public.onboarding_requests (customer_id)")
    op.execute("ALTER TABLE public.onboarding_requests ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.onboarding_requests FORCE ROW LEVEL SECURITY")
    op.execute("REVOKE ALL ON public.onboarding_requests FROM PUBLIC")
    op.execute(f"CREATE POLICY onboarding_requests_scope ON public.onboarding_requests "
               f"USING ({SCOPE_RULE}) WITH CHECK ({SCOPE_RULE})")
    op.execute(f'CREATE POLICY onboarding_requests_definer ON public.onboarding_requests TO "{definer}" '
               "USING (true) WITH CHECK (true)")
    op.execute(f'GRANT SELECT (id, msp_id, customer_id, created_by_email, expected_tenant, created_at, expires_at, '
               f'used_at, outcome) ON public.onboarding_requests TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON public.onboarding_requests TO "{definer}"')
    op.execute(f'GRANT SELECT (tenant_id), UPDATE (tenant_id) ON public.customers TO "{definer}"')
    op.execute(f'CREATE POLICY customers_definer_bind ON public.customers FOR UPDATE TO "{definer}" USING (true)')
    op.execute(f"""
        CREATE FUNCTION public.posture_create_onboarding(
          p_customer uuid, p_state_hash bytea, p_expected text, p_expires_epoch bigint, p_sig text) RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          msp uuid := public.posture_scope_msp();
          me uuid := public.posture_scope_user();
          who text;
          made uuid := gen_random_uuid();
        BEGIN
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(ARRAY['onboarding', msp::text,
               p_customer::text, encode(p_state_hash, 'hex'), p_expires_epoch::text]) THEN
            RAISE EXCEPTION 'consent links are made by the portal' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF NOT EXISTS (SELECT FROM public.memberships m WHERE m.user_id = me AND m.msp_id = msp
                         AND m.role IN ('msp_admin', 'msp_analyst'))
             OR NOT EXISTS (SELECT FROM public.customers c WHERE c.id = p_customer AND c.msp_id = msp) THEN
            RAISE EXCEPTION 'no such customer in your organisation' USING ERRCODE = 'insufficient_privilege';
          END IF;
          SELECT u.email INTO who FROM public.users u WHERE u.id = me;
          INSERT INTO public.onboarding_requests (id, msp_id, customer_id, state_hash, created_by, created_by_email,
                                                  expected_tenant, expires_at)
            VALUES (made, msp, p_customer, p_state_hash, me, who, NULLIF(p_expected, ''),
                    to_timestamp(p_expires_epoch));
          RETURN made;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_onboarding_request(p_state_hash bytea)
        RETURNS TABLE (id uuid, msp_id uuid, customer_id uuid, created_by uuid, created_by_email text,
                       expected_tenant text, status text)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT r.id, r.msp_id, r.customer_id, r.created_by, r.created_by_email, r.expected_tenant,
                 CASE WHEN r.used_at IS NOT NULL THEN 'used' WHEN r.expires_at <= now() THEN 'expired' ELSE 'open' END
          FROM public.onboarding_requests r WHERE r.state_hash = p_state_hash
        $$""")
    # Spending a request and binding its tenant happen together, once: a replayed callback finds it used.
    op.execute(f"""
        CREATE FUNCTION public.posture_bind_tenant(p_request uuid, p_tenant text, p_sig text) RETURNS text
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          request public.onboarding_requests;
          current_tenant text;
          result text;
        BEGIN
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(ARRAY['bind-tenant', p_request::text,
                                                                            lower(p_tenant)]) THEN
            RAISE EXCEPTION 'tenants are bound by the portal' USING ERRCODE = 'insufficient_privilege';
          END IF;
          SELECT * INTO request FROM public.onboarding_requests WHERE id = p_request FOR UPDATE;
          IF request.id IS NULL OR request.used_at IS NOT NULL OR request.expires_at <= now() THEN
            RETURN 'closed';
          END IF;
          SELECT c.tenant_id INTO current_tenant FROM public.customers c WHERE c.id = request.customer_id;
          IF current_tenant IS NOT NULL AND current_tenant <> lower(p_tenant) THEN
            result := 'mismatch';
          ELSE
            BEGIN
              UPDATE public.customers SET tenant_id = lower(p_tenant) WHERE id = request.customer_id;
              result := 'bound';
            EXCEPTION WHEN unique_violation THEN
              result := 'taken';
            END;
          END IF;
          UPDATE public.onboarding_requests SET used_at = now(), outcome = result WHERE id = p_request;
          RETURN result;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_close_onboarding(p_request uuid, p_outcome text, p_sig text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(ARRAY['close-onboarding', p_request::text,
                                                                            p_outcome]) THEN
            RAISE EXCEPTION 'consent requests are closed by the portal' USING ERRCODE = 'insufficient_privilege';
          END IF;
          UPDATE public.onboarding_requests SET used_at = now(), outcome = left(p_outcome, 200)
            WHERE id = p_request AND used_at IS NULL;
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
    definer, web = roles["definer"], roles["web"]
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute("DROP POLICY customers_definer_bind ON public.customers")
    op.execute(f'REVOKE UPDATE (tenant_id) ON public.customers FROM "{definer}"')
    op.execute(f'REVOKE SELECT (tenant_id) ON public.customers FROM "{definer}"')
    op.execute("DROP TABLE public.onboarding_requests")
    op.execute(f'REVOKE INSERT ON public.customers FROM "{web}"')
    op.execute(f'GRANT INSERT ON public.customers TO "{web}"')
    op.execute("DROP INDEX public.ix_scans_last_scored")
    op.execute("DROP INDEX public.ix_scans_last_finished")
    op.execute("DELETE FROM public.customers WHERE tenant_id IS NULL")
    op.execute("ALTER TABLE public.customers ALTER COLUMN tenant_id SET NOT NULL")
