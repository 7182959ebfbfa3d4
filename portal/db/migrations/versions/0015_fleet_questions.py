"""Fleet questions, part one: evidence in the projection, saved searches, accepted risks.

- ``latest_results`` keeps the latest result's ``evidence`` and ``affected`` objects (and the affected
  objects lower-cased, ``affected_keys``), so a cross-tenant search filters on them in one indexed
  read of the projection instead of joining every customer's last scan (issue 10). Filled from
  ``check_results`` here; the worker writes them with each scan from now on.
- ``saved_searches`` belong to a user of an MSP and may be shared with the MSP's staff. They are MSP
  staff's only: the policies ask ``posture_scope_is_msp_staff()`` (a definer function reading the
  scope user's memberships), so even an injected query in a customer user's session reads none.
- ``risk_acceptances``: a failing check accepted for one tenant, with a reason and an expiry. Written
  only through ``posture_accept_risk`` and ``posture_revoke_risk``, definer functions that check the
  signed scope's user may (a customer admin of that customer, or MSP staff who see it at the Operate
  tier or above): a grant cannot tell a customer viewer from a customer admin in the same scope
  (the lesson of migration 0014). Who accepted and who revoked are the scope's actor, set here, never
  the caller's word. Rows are never deleted; ``lapsed_at`` is set by the worker when it has rescored
  a customer after an acceptance expired.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import context, op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
#: Revision 0002's policy, written out again: migrations never import each other.
SCOPE_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
              "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_STAFF = "posture_scope_is_msp_staff()"
_ACCEPT = "posture_accept_risk(uuid, text, text, timestamptz)"
_REVOKE = "posture_revoke_risk(uuid)"
_FUNCTIONS = (_STAFF, _ACCEPT, _REVOKE)


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    _projection_evidence()
    _saved_searches(roles)
    _risk_acceptances(roles)
    for function in _FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        op.execute(f"""
            DO $$ BEGIN
              ALTER FUNCTION public.{function} OWNER TO "{roles["definer"]}";
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'public.{function} stays owned by %', current_user;
            END $$""")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.{_STAFF} TO "{roles["web"]}", "{roles["worker"]}"')
    op.execute(f'GRANT EXECUTE ON FUNCTION public.{_ACCEPT}, public.{_REVOKE} TO "{roles["web"]}"')


def _projection_evidence() -> None:
    op.execute("ALTER TABLE public.latest_results ADD COLUMN evidence jsonb NOT NULL DEFAULT '{}', "
               "ADD COLUMN affected jsonb NOT NULL DEFAULT '[]', ADD COLUMN affected_keys text[] NOT NULL DEFAULT '{}'")
    # Row-level security is forced on the owner too: a superuser owner (posture migrate's usual one)
    # fills these in; any other leaves them empty until each customer's next scan.
    op.execute("""
        UPDATE public.latest_results l SET evidence = coalesce(r.evidence, '{}'), affected = coalesce(r.affected, '[]'),
          affected_keys = coalesce(ARRAY(SELECT lower(a) FROM jsonb_array_elements_text(r.affected) a), '{}')
        FROM public.check_results r
        WHERE r.scan_id = l.scan_id AND r.check_id = l.check_id AND jsonb_typeof(r.affected) = 'array'""")
    op.execute("CREATE INDEX ix_latest_results_evidence ON public.latest_results USING gin (evidence jsonb_path_ops)")
    op.execute("CREATE INDEX ix_latest_results_affected ON public.latest_results USING gin (affected_keys)")


def _saved_searches(roles: dict[str, str]) -> None:
    op.execute(f"""
        CREATE FUNCTION public.posture_scope_is_msp_staff() RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT EXISTS (SELECT FROM public.memberships m
                         WHERE m.user_id = public.posture_scope_user() AND m.msp_id = public.posture_scope_msp()
                           AND m.customer_id IS NULL AND m.role IN ('msp_admin', 'msp_analyst'))
        $$""")
    op.execute("""
        CREATE TABLE public.saved_searches (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
          name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
          query text NOT NULL CHECK (length(query) BETWEEN 1 AND 1000),
          shared boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (msp_id, user_id, name)
        )""")
    op.execute("ALTER TABLE public.saved_searches ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.saved_searches FORCE ROW LEVEL SECURITY")
    mine = ("msp_id = (SELECT public.posture_scope_msp()) AND (SELECT public.posture_scope_is_msp_staff()) "
            "AND user_id = (SELECT public.posture_scope_user())")
    seen = ("msp_id = (SELECT public.posture_scope_msp()) AND (SELECT public.posture_scope_is_msp_staff()) "
            "AND (shared OR user_id = (SELECT public.posture_scope_user()))")
    op.execute(f"CREATE POLICY saved_searches_read ON public.saved_searches FOR SELECT USING ({seen})")
    op.execute(f"CREATE POLICY saved_searches_insert ON public.saved_searches FOR INSERT WITH CHECK ({mine})")
    op.execute(f"CREATE POLICY saved_searches_update ON public.saved_searches FOR UPDATE USING ({mine}) "
               f"WITH CHECK ({mine})")
    op.execute(f"CREATE POLICY saved_searches_delete ON public.saved_searches FOR DELETE USING ({mine})")
    op.execute("REVOKE ALL ON public.saved_searches FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, user_id, name, query, shared), UPDATE (name, query, shared), DELETE '
               f'ON public.saved_searches TO "{roles["web"]}"')


def _risk_acceptances(roles: dict[str, str]) -> None:
    web, worker, definer = roles["web"], roles["worker"], roles["definer"]
    op.execute("""
        CREATE TABLE public.risk_acceptances (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL,
          customer_id uuid NOT NULL,
          check_id text NOT NULL CHECK (length(check_id) BETWEEN 1 AND 120),
          reason text NOT NULL CHECK (length(btrim(reason)) BETWEEN 3 AND 2000),
          expires_at timestamptz NOT NULL,
          accepted_by text NOT NULL,
          accepted_at timestamptz NOT NULL DEFAULT now(),
          revoked_at timestamptz,
          revoked_by text,
          lapsed_at timestamptz,
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    # One standing acceptance per check and tenant (a new one replaces it: posture_accept_risk).
    op.execute("CREATE UNIQUE INDEX uq_risk_acceptances_standing ON public.risk_acceptances (customer_id, check_id) "
               "WHERE revoked_at IS NULL")
    op.execute("CREATE INDEX ix_risk_acceptances_msp ON public.risk_acceptances (msp_id, customer_id)")
    op.execute("CREATE INDEX ix_risk_acceptances_expiring ON public.risk_acceptances (expires_at) "
               "WHERE revoked_at IS NULL AND lapsed_at IS NULL")
    op.execute("ALTER TABLE public.risk_acceptances ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.risk_acceptances FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY risk_acceptances_scope ON public.risk_acceptances USING ({SCOPE_RULE}) "
               f"WITH CHECK ({SCOPE_RULE})")
    op.execute("REVOKE ALL ON public.risk_acceptances FROM PUBLIC")
    op.execute(f'GRANT SELECT ON public.risk_acceptances TO "{web}"')
    op.execute(f'GRANT SELECT, UPDATE (lapsed_at) ON public.risk_acceptances TO "{worker}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE (revoked_at, revoked_by) ON public.risk_acceptances TO "{definer}"')
    # Who may accept: the customer's own admins; MSP staff who see the customer, at the Operate tier or
    # above (portal.services.accounts.may, Action.ACCEPT_RISK, written again in SQL).
    may_accept = """
          SELECT c.access_tier INTO tier FROM public.customers c WHERE c.id = p_customer AND c.msp_id = msp
            AND (public.posture_scope_customers() IS NULL
                 OR p_customer = ANY (CAST(public.posture_scope_customers() AS uuid[])));
          IF NOT FOUND OR NOT EXISTS (
               SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user() AND m.msp_id = msp
               AND ((m.customer_id = p_customer AND m.role = 'customer_admin')
                    OR (m.customer_id IS NULL AND m.role IN ('msp_admin', 'msp_analyst') AND tier <> 'monitor')))
          THEN
            RAISE EXCEPTION 'no such customer, or not yours to accept risks for'
              USING ERRCODE = 'insufficient_privilege';
          END IF;"""
    actor = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"
    op.execute(f"""
        CREATE FUNCTION public.posture_accept_risk(p_customer uuid, p_check text, p_reason text, p_expires timestamptz)
        RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          msp uuid := public.posture_scope_msp();
          tier public.access_tier;
          made uuid;
        BEGIN
          {may_accept}
          IF p_expires <= now() OR p_expires > now() + interval '366 days' THEN
            RAISE EXCEPTION 'an acceptance expires within a year' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE public.risk_acceptances SET revoked_at = now(), revoked_by = {actor}
            WHERE customer_id = p_customer AND check_id = p_check AND revoked_at IS NULL;
          INSERT INTO public.risk_acceptances (msp_id, customer_id, check_id, reason, expires_at, accepted_by)
            VALUES (msp, p_customer, p_check, btrim(p_reason), p_expires, {actor})
            RETURNING id INTO made;
          RETURN made;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_revoke_risk(p_id uuid) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          msp uuid := public.posture_scope_msp();
          tier public.access_tier;
          p_customer uuid;
        BEGIN
          SELECT r.customer_id INTO p_customer FROM public.risk_acceptances r WHERE r.id = p_id AND r.msp_id = msp;
          IF NOT FOUND THEN
            RETURN false;
          END IF;
          {may_accept}
          UPDATE public.risk_acceptances SET revoked_at = now(), revoked_by = {actor}
            WHERE id = p_id AND revoked_at IS NULL;
          RETURN FOUND;
        END $$""")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION public.{_ACCEPT}")
    op.execute(f"DROP FUNCTION public.{_REVOKE}")
    op.execute("DROP TABLE public.risk_acceptances")
    op.execute("DROP TABLE public.saved_searches")
    op.execute(f"DROP FUNCTION public.{_STAFF}")
    op.execute("DROP INDEX public.ix_latest_results_affected")
    op.execute("DROP INDEX public.ix_latest_results_evidence")
    op.execute("ALTER TABLE public.latest_results DROP COLUMN evidence, DROP COLUMN affected, "
               "DROP COLUMN affected_keys")
