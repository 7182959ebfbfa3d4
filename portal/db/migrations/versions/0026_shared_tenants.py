"""Shared tenants: several billing customers in one Microsoft 365 tenant, split by domain or group.

- ``customers.billing_host_id``: a billing customer with no tenant of its own (a check: it can never be
  bound to one, or its own tenant would be scanned and never billed), whose managed users are the part
  of its host's tenant its selections name. Made only by ``posture_add_billing_customer`` (an MSP
  admin, a host in service that is itself no billing customer).
- The billing terms' functions, final here (they need the holds of 0025 and the selections):
  ``posture_set_billing_terms`` and ``posture_remove_customer`` refuse a suspended MSP or a customer the
  operator holds; removing a customer also removes the billing customers sharing its tenant and gives
  its selections back, so no user is left billed to nobody.
- ``tenant_directories``: each tenant's verified domains and groups as its latest full scan read them,
  and when (``refreshed_at``): what the Manage tenant page offers. Written by the workers; read by the
  MSP's staff only (a customer's own people do not need its group list for anything).
- ``tenant_selections``: which domain or group of a host's tenant (``customer_id``, whose row it is, so
  the worker scanning the host reads them) belongs to which of its billing customers
  (``billing_customer_id``). One selection belongs to one billing customer (unique per host, kind and
  value); only MSP admins add or remove them, and only for a billing customer of that very host.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

from alembic import context, op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_ACTOR = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"
_IN_SCOPE = ("((SELECT public.posture_scope_customers() IS NULL) "
             "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_SCOPE_RULE = f"msp_id = (SELECT public.posture_scope_msp()) AND {_IN_SCOPE}"
_ADMIN = "(SELECT public.posture_scope_is_msp_admin())"
_STAFF_OR_SYSTEM = "((SELECT public.posture_scope_user()) IS NULL OR (SELECT public.posture_scope_is_msp_staff()))"
#: The MSP and the customer ``c`` are in service: not suspended by the platform operator (0025).
_IN_SERVICE = ("c.operator_suspended_at IS NULL AND NOT EXISTS (SELECT FROM public.msps m "
               "WHERE m.id = c.msp_id AND m.suspended_at IS NOT NULL)")
_REFUSE = ("RAISE EXCEPTION 'no such customer in service, or not yours to bill' "
           "USING ERRCODE = 'insufficient_privilege';")


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def _owned(name: str) -> None:
    op.execute(f"ALTER TABLE public.{name} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE public.{name} FORCE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON public.{name} FROM PUBLIC")
    op.execute(f"CREATE POLICY {name}_scope ON public.{name} USING ({_SCOPE_RULE}) WITH CHECK ({_SCOPE_RULE})")


def upgrade() -> None:
    roles = _roles()
    web, worker, definer = roles["web"], roles["worker"], roles["definer"]
    op.execute("ALTER TABLE public.customers ADD COLUMN billing_host_id uuid, "
               "ADD CONSTRAINT fk_customers_billing_host FOREIGN KEY (msp_id, billing_host_id) "
               "REFERENCES public.customers (msp_id, id), "
               "ADD CONSTRAINT ck_customers_billing_host CHECK (billing_host_id IS DISTINCT FROM id), "
               "ADD CONSTRAINT ck_customers_billing_host_untenanted "
               "CHECK (billing_host_id IS NULL OR tenant_id IS NULL)")
    op.execute("CREATE INDEX ix_customers_billing_host ON public.customers (billing_host_id) "
               "WHERE billing_host_id IS NOT NULL")
    op.execute(f'GRANT SELECT (billing_host_id), '
               f'INSERT (id, customer_id, msp_id, name, billing_host_id, connection_state) '
               f'ON public.customers TO "{definer}"')
    op.execute(f'CREATE POLICY customers_definer_billing ON public.customers FOR INSERT TO "{definer}" '
               f"WITH CHECK (msp_id = (SELECT public.posture_scope_msp()) AND billing_host_id IS NOT NULL)")
    op.execute(f"""
        CREATE FUNCTION public.posture_add_billing_customer(p_host uuid, p_name text) RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          made uuid := gen_random_uuid();
        BEGIN
          PERFORM FROM public.customers c WHERE c.id = p_host AND c.msp_id = public.posture_scope_msp()
                                            AND c.billing_host_id IS NULL AND c.tenant_id IS NOT NULL
                                            AND c.removed_at IS NULL AND {_IN_SERVICE};
          IF NOT FOUND OR NOT public.posture_scope_is_msp_admin() THEN {_REFUSE} END IF;
          IF p_name IS NULL OR length(btrim(p_name)) NOT BETWEEN 1 AND 200 THEN
            RAISE EXCEPTION 'a billing customer needs a name of 1 to 200 characters' USING ERRCODE = 'check_violation';
          END IF;
          INSERT INTO public.customers (id, customer_id, msp_id, name, billing_host_id, connection_state)
            VALUES (made, made, public.posture_scope_msp(), btrim(p_name), p_host, 'pending_consent');
          RETURN made;
        END $$""")
    op.execute("REVOKE ALL ON FUNCTION public.posture_add_billing_customer(uuid, text) FROM PUBLIC")
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.posture_add_billing_customer(uuid, text) OWNER TO "{definer}";
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'posture_add_billing_customer stays owned by %', current_user;
        END $$""")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.posture_add_billing_customer(uuid, text) TO "{web}"')

    op.execute("""
        CREATE TABLE public.tenant_directories (
          customer_id uuid PRIMARY KEY,
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          domains jsonb NOT NULL CHECK (jsonb_typeof(domains) = 'array'),
          groups jsonb NOT NULL CHECK (jsonb_typeof(groups) = 'array'),
          scan_id uuid NOT NULL,
          refreshed_at timestamptz NOT NULL,
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    _owned("tenant_directories")
    op.execute(f'CREATE POLICY tenant_directories_staff ON public.tenant_directories AS RESTRICTIVE FOR SELECT '
               f'TO "{web}" USING {_STAFF_OR_SYSTEM}')
    op.execute(f'GRANT SELECT ON public.tenant_directories TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE (domains, groups, scan_id, refreshed_at) '
               f'ON public.tenant_directories TO "{worker}"')

    op.execute(f"""
        CREATE TABLE public.tenant_selections (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid NOT NULL,
          billing_customer_id uuid NOT NULL,
          kind text NOT NULL CHECK (kind IN ('domain', 'group')),
          value text NOT NULL CHECK (length(value) BETWEEN 1 AND 255 AND value = lower(value)),
          label text NOT NULL CHECK (length(label) BETWEEN 1 AND 300),
          created_by text NOT NULL DEFAULT {_ACTOR},
          created_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (customer_id, kind, value),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          FOREIGN KEY (msp_id, billing_customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    op.execute("CREATE INDEX ix_tenant_selections_billing ON public.tenant_selections (billing_customer_id)")
    _owned("tenant_selections")
    # A selection is an MSP admin's, and names a billing customer of that host (no other customer's tenant).
    of_host = ("EXISTS (SELECT FROM public.customers c WHERE c.id = tenant_selections.billing_customer_id "
               "AND c.billing_host_id = tenant_selections.customer_id AND c.removed_at IS NULL)")
    op.execute(f'CREATE POLICY tenant_selections_admin_insert ON public.tenant_selections AS RESTRICTIVE FOR INSERT '
               f'TO "{web}" WITH CHECK ({_ADMIN} AND {of_host})')
    op.execute(f'CREATE POLICY tenant_selections_admin_delete ON public.tenant_selections AS RESTRICTIVE FOR DELETE '
               f'TO "{web}" USING ({_ADMIN})')
    op.execute(f'CREATE POLICY tenant_selections_staff ON public.tenant_selections AS RESTRICTIVE FOR SELECT '
               f'TO "{web}" USING {_STAFF_OR_SYSTEM}')
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, billing_customer_id, kind, value, label), DELETE '
               f'ON public.tenant_selections TO "{web}"')
    op.execute(f'GRANT SELECT ON public.tenant_selections TO "{worker}"')
    op.execute(f'GRANT SELECT (customer_id, billing_customer_id), DELETE ON public.tenant_selections TO "{definer}"')
    op.execute(f'CREATE POLICY tenant_selections_definer ON public.tenant_selections FOR ALL TO "{definer}" '
               "USING (true)")
    _terms_functions(web, definer)


def _terms_functions(web: str, definer: str) -> None:
    check = f"""
          PERFORM FROM public.customers c WHERE c.id = p_customer AND c.msp_id = public.posture_scope_msp()
                                            AND c.removed_at IS NULL AND {_IN_SERVICE};
          IF NOT FOUND OR NOT public.posture_scope_is_msp_admin() THEN {_REFUSE} END IF;"""
    op.execute(f"""
        CREATE FUNCTION public.posture_set_billing_terms(p_customer uuid, p_tier text, p_seat_limit integer,
                                                         p_licence text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN{check}
          UPDATE public.customers SET service_tier = p_tier, seat_limit = p_seat_limit, licence_type = p_licence
           WHERE id = p_customer;
        END $$""")
    # Removal ends billing from that day and stops scans (suspended); the history stays readable. The
    # billing customers sharing its tenant go with it, and each one's selections go back to its host.
    op.execute(f"""
        CREATE FUNCTION public.posture_remove_customer(p_customer uuid) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN{check}
          UPDATE public.customers SET removed_at = now(), suspended_at = coalesce(suspended_at, now()),
                 suspended_by = coalesce(suspended_by, {_ACTOR})
           WHERE (id = p_customer OR billing_host_id = p_customer) AND removed_at IS NULL;
          DELETE FROM public.tenant_selections
           WHERE billing_customer_id = p_customer OR customer_id = p_customer;
        END $$""")
    for signature in ("posture_set_billing_terms(uuid, text, integer, text)", "posture_remove_customer(uuid)"):
        op.execute(f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC")
        op.execute(f"""
            DO $$ BEGIN
              ALTER FUNCTION public.{signature} OWNER TO "{definer}";
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'public.{signature} stays owned by %', current_user;
            END $$""")
        op.execute(f'GRANT EXECUTE ON FUNCTION public.{signature} TO "{web}"')


def downgrade() -> None:
    roles = _roles()
    definer = roles["definer"]
    op.execute("DROP FUNCTION public.posture_remove_customer(uuid)")
    op.execute("DROP FUNCTION public.posture_set_billing_terms(uuid, text, integer, text)")
    op.execute("DROP TABLE public.tenant_selections")
    op.execute("DROP TABLE public.tenant_directories")
    op.execute("DROP FUNCTION public.posture_add_billing_customer(uuid, text)")
    op.execute("DROP POLICY customers_definer_billing ON public.customers")
    op.execute(f'REVOKE INSERT (id, customer_id, msp_id, name, billing_host_id, connection_state) '
               f'ON public.customers FROM "{definer}"')
    op.execute(f'REVOKE SELECT (billing_host_id) ON public.customers FROM "{definer}"')
    op.execute("DROP INDEX public.ix_customers_billing_host")
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT ck_customers_billing_host_untenanted, "
               "DROP CONSTRAINT ck_customers_billing_host, "
               "DROP CONSTRAINT fk_customers_billing_host, DROP COLUMN billing_host_id")
