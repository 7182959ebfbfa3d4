"""Branded outputs: the tenant's figures on each scan, branding, and stored reports.

- ``scans.environment``: the tenant in figures (users, admins, MFA, licences, Secure Score) as the scan
  read them (``scanner._environment``), so a report of an old scan shows that scan's figures.
- ``brandings``: one MSP-wide row (``customer_id`` NULL) and at most one per customer. A customer's row
  is used for its outputs only while ``use_own`` is on. Rows are read under the usual policy (the
  MSP-wide row by MSP-wide scopes: MSP staff, and the worker rendering reports); the MSP-wide row is
  written by MSP admins, a customer's row by MSP admins and by
  analysts at the Manage tier (``Action.MANAGE_BRANDING``), asked of definer functions about the
  scope's user, so no injected statement of a customer's session (or of an analyst on a lower tier)
  can write one. The logo is stored as the portal rewrote it (``portal.services.branding._logo``).
- ``reports``: each version of each report, with its PDF. A customer's executive report (``scan_id``:
  the scan it reports) is read under the usual policy; a fleet report (``customer_id`` NULL) by MSP
  admins only (and workers), since it covers customers a tag-limited analyst may not see. Requested by the web role
  (who asks is checked again in SQL: ``Action.MANAGE_REPORTS``; ``requested_by`` comes from the signed
  scope), rendered by workers, never changed after.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from alembic import context, op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_ACTOR = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"
#: Migration 0020's form: IS NULL inside the subquery, so the planner estimates an MSP-wide scope right.
_IN_SCOPE = ("((SELECT public.posture_scope_customers() IS NULL) "
             "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_MSP = "msp_id = (SELECT public.posture_scope_msp())"
_SCOPE_RULE = f"{_MSP} AND {_IN_SCOPE}"
_ADMIN = "(SELECT public.posture_scope_is_msp_admin())"


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


#: Who may act on a customer: its membership and the customer's tier, as ``portal.services.accounts.may``.
_MAY = """
        CREATE FUNCTION public.{name}(p_customer uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER {search_path} AS $$
          SELECT EXISTS (
            SELECT FROM public.customers c JOIN public.memberships m
                     ON m.msp_id = c.msp_id AND m.user_id = public.posture_scope_user()
             WHERE c.id = p_customer AND c.msp_id = public.posture_scope_msp()
               AND (public.posture_scope_customers() IS NULL
                    OR p_customer = ANY (CAST(public.posture_scope_customers() AS uuid[])))
               AND ({rule}))
        $$"""
_MAY_BRAND = "m.customer_id IS NULL AND (m.role = 'msp_admin' OR (m.role = 'msp_analyst' AND c.access_tier = 'manage'))"
_MAY_REPORT = ("(m.customer_id = p_customer AND m.role = 'customer_admin') "
               "OR (m.customer_id IS NULL AND m.role IN ('msp_admin', 'msp_analyst') AND c.access_tier <> 'monitor')")


def _definer_function(name: str, rule: str, roles: dict[str, str]) -> None:
    op.execute(_MAY.format(name=name, search_path=_SEARCH_PATH, rule=rule))
    op.execute(f"REVOKE ALL ON FUNCTION public.{name}(uuid) FROM PUBLIC")
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.{name}(uuid) OWNER TO "{roles['definer']}";
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'public.{name} stays owned by %', current_user;
        END $$""")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.{name}(uuid) TO "{roles["web"]}"')


def upgrade() -> None:
    roles = _roles()
    web, worker = roles["web"], roles["worker"]
    op.execute("ALTER TABLE public.scans ADD COLUMN environment jsonb "
               "CHECK (environment IS NULL OR jsonb_typeof(environment) = 'object')")
    _definer_function("posture_scope_may_brand", _MAY_BRAND, roles)
    _definer_function("posture_scope_may_report", _MAY_REPORT, roles)

    op.execute(f"""
        CREATE TABLE public.brandings (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid,
          display_name text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
          primary_colour text NOT NULL CHECK (primary_colour ~ '^#[0-9a-f]{{6}}$'),
          accent_colour text NOT NULL CHECK (accent_colour ~ '^#[0-9a-f]{{6}}$'),
          contact_line text NOT NULL DEFAULT '' CHECK (length(contact_line) <= 200),
          logo bytea CHECK (logo IS NULL OR octet_length(logo) <= 1048576),
          logo_type text CHECK (logo_type IN ('image/png', 'image/svg+xml')),
          use_own boolean NOT NULL DEFAULT false,
          updated_by text NOT NULL DEFAULT {_ACTOR},
          updated_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          CHECK ((logo IS NULL) = (logo_type IS NULL))
        )""")
    op.execute("CREATE UNIQUE INDEX uq_brandings_msp ON public.brandings (msp_id) WHERE customer_id IS NULL")
    op.execute("CREATE UNIQUE INDEX uq_brandings_customer ON public.brandings (customer_id) "
               "WHERE customer_id IS NOT NULL")
    may_write = (f"{_MSP} AND ((customer_id IS NULL AND {_ADMIN}) OR (customer_id IS NOT NULL "
                 "AND (SELECT public.posture_scope_may_brand(customer_id))))")
    op.execute("ALTER TABLE public.brandings ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.brandings FORCE ROW LEVEL SECURITY")
    # The usual rule (MSP-wide rows: MSP-wide scopes only), and who may write, as restrictive policies.
    op.execute(f"CREATE POLICY brandings_scope ON public.brandings USING ({_SCOPE_RULE}) WITH CHECK ({_SCOPE_RULE})")
    op.execute(f'CREATE POLICY brandings_insert ON public.brandings AS RESTRICTIVE FOR INSERT TO "{web}" '
               f"WITH CHECK ({may_write})")
    op.execute(f'CREATE POLICY brandings_update ON public.brandings AS RESTRICTIVE FOR UPDATE TO "{web}" '
               f"USING ({may_write}) WITH CHECK ({may_write})")
    op.execute(f'CREATE POLICY brandings_delete ON public.brandings AS RESTRICTIVE FOR DELETE TO "{web}" '
               f"USING ({may_write})")
    op.execute("REVOKE ALL ON public.brandings FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, display_name, primary_colour, accent_colour, '
               f'contact_line, logo, logo_type, use_own), UPDATE (display_name, primary_colour, accent_colour, '
               f'contact_line, logo, logo_type, use_own, updated_by, updated_at) ON public.brandings TO "{web}"')
    op.execute(f'GRANT SELECT ON public.brandings TO "{worker}"')

    op.execute(f"""
        CREATE TABLE public.reports (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid,
          scan_id uuid REFERENCES public.scans (id),
          kind text NOT NULL CHECK (kind IN ('executive', 'fleet')),
          version integer NOT NULL CHECK (version >= 1),
          status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'ready', 'failed')),
          note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
          tag text CHECK (length(tag) BETWEEN 1 AND 50),
          requested_by text NOT NULL DEFAULT {_ACTOR},
          requested_at timestamptz NOT NULL DEFAULT now(),
          rendered_at timestamptz,
          failure_reason text,
          pdf bytea,
          pdf_sha256 text,
          pages integer,
          score double precision,
          grade text,
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          CHECK ((kind = 'executive') = (customer_id IS NOT NULL AND scan_id IS NOT NULL)),
          CHECK (kind = 'fleet' OR tag IS NULL),
          CHECK ((status = 'ready') = (pdf IS NOT NULL))
        )""")
    # Versions count per scan for a customer's report, per MSP for the fleet's.
    op.execute("CREATE UNIQUE INDEX uq_reports_version ON public.reports (scan_id, version) WHERE scan_id IS NOT NULL")
    op.execute("CREATE UNIQUE INDEX uq_reports_fleet_version ON public.reports (msp_id, version) "
               "WHERE kind = 'fleet'")
    op.execute("CREATE INDEX ix_reports_customer ON public.reports (customer_id, requested_at DESC)")
    may_request = (f"{_MSP} AND ((customer_id IS NULL AND {_ADMIN}) OR (customer_id IS NOT NULL "
                   "AND (SELECT public.posture_scope_may_report(customer_id))))")
    op.execute("ALTER TABLE public.reports ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.reports FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY reports_scope ON public.reports USING ({_SCOPE_RULE}) WITH CHECK ({_SCOPE_RULE})")
    # A fleet report covers customers a tag-limited analyst may not see: MSP admins' only.
    op.execute(f'CREATE POLICY reports_fleet_admins ON public.reports AS RESTRICTIVE FOR SELECT TO "{web}" '
               f"USING (customer_id IS NOT NULL OR {_ADMIN})")
    op.execute(f'CREATE POLICY reports_request ON public.reports AS RESTRICTIVE FOR INSERT TO "{web}" '
               f"WITH CHECK ({may_request})")
    op.execute("REVOKE ALL ON public.reports FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, scan_id, kind, version, note, tag) '
               f'ON public.reports TO "{web}"')
    op.execute(f'GRANT SELECT, UPDATE (status, rendered_at, failure_reason, pdf, pdf_sha256, pages, score, grade) '
               f'ON public.reports TO "{worker}"')


def downgrade() -> None:
    op.execute("DROP TABLE public.reports")
    op.execute("DROP TABLE public.brandings")
    op.execute("DROP FUNCTION public.posture_scope_may_report(uuid)")
    op.execute("DROP FUNCTION public.posture_scope_may_brand(uuid)")
    op.execute("ALTER TABLE public.scans DROP COLUMN environment")
