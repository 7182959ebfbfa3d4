"""Shared tenants: several billing customers in one Microsoft 365 tenant, split by domain or group.

- ``customers.billing_host_id``: a billing customer with no tenant of its own, whose managed users are
  the part of its host's tenant its selections name. Made only by ``posture_add_billing_customer``
  (an MSP admin of the scope's MSP, a host that is itself no billing customer).
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
               "ADD CONSTRAINT ck_customers_billing_host CHECK (billing_host_id IS DISTINCT FROM id)")
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
                                            AND c.billing_host_id IS NULL AND c.tenant_id IS NOT NULL;
          IF NOT FOUND OR NOT public.posture_scope_is_msp_admin() THEN
            RAISE EXCEPTION 'no such connected tenant, or not yours to bill' USING ERRCODE = 'insufficient_privilege';
          END IF;
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
               "AND c.billing_host_id = tenant_selections.customer_id)")
    op.execute(f'CREATE POLICY tenant_selections_admin_insert ON public.tenant_selections AS RESTRICTIVE FOR INSERT '
               f'TO "{web}" WITH CHECK ({_ADMIN} AND {of_host})')
    op.execute(f'CREATE POLICY tenant_selections_admin_delete ON public.tenant_selections AS RESTRICTIVE FOR DELETE '
               f'TO "{web}" USING ({_ADMIN})')
    op.execute(f'CREATE POLICY tenant_selections_staff ON public.tenant_selections AS RESTRICTIVE FOR SELECT '
               f'TO "{web}" USING {_STAFF_OR_SYSTEM}')
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, billing_customer_id, kind, value, label), DELETE '
               f'ON public.tenant_selections TO "{web}"')
    op.execute(f'GRANT SELECT ON public.tenant_selections TO "{worker}"')


def downgrade() -> None:
    roles = _roles()
    definer = roles["definer"]
    op.execute("DROP TABLE public.tenant_selections")
    op.execute("DROP TABLE public.tenant_directories")
    op.execute("DROP FUNCTION public.posture_add_billing_customer(uuid, text)")
    op.execute("DROP POLICY customers_definer_billing ON public.customers")
    op.execute(f'REVOKE INSERT (id, customer_id, msp_id, name, billing_host_id, connection_state) '
               f'ON public.customers FROM "{definer}"')
    op.execute(f'REVOKE SELECT (billing_host_id) ON public.customers FROM "{definer}"')
    op.execute("DROP INDEX public.ix_customers_billing_host")
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT ck_customers_billing_host, "
               "DROP CONSTRAINT fk_customers_billing_host, DROP COLUMN billing_host_id")
