"""Isolation that holds against an injected query: signed scopes, split roles, composite keys.

Revision 0001 trusted the session: any statement run as the application role could set
``app.msp_id`` itself, create temporary objects that shadow our tables (and run its own code through
the definer function), insert rows naming one MSP and another MSP's customer, attach another MSP's
admin to itself and rewrite their password hash. docs/security.md lists the attacks; the attack
suite in ``tests/portal/test_attacks.py`` runs each one. This revision:

- **Signed scope.** The unit of work sets ``app.msp_id``, ``app.customer_ids``, ``app.user_id``,
  ``app.actor`` and ``app.scope_sig``: a keyed hash of the four and of the backend's pid, with the
  scope key that only the application processes and the definer role know (``posture_secrets``).
  Every policy compares against ``posture_scope_msp()``, which checks the signature once per
  statement (an InitPlan) and refuses the statement when it does not match, so a query that sets its
  own scope, or replays another connection's, gets an error instead of rows.
- **Roles split by need.** ``<prefix>_web`` (the portal) and ``<prefix>_worker`` (Dramatiq
  workers) log in; ``<prefix>_definer`` owns the definer functions and logs in never. Neither login
  role is superuser, owns anything or bypasses RLS; each has only its grants (docs/security.md).
  The prefix is ``posture`` unless ``posture migrate`` is told otherwise, so two databases on one
  server can keep apart roles. Existing roles are never altered here; ``posture_app`` of 0001 loses
  every privilege in this database.
- **No temporary objects**: ``TEMPORARY`` on the database is revoked from ``PUBLIC`` and
  ``CREATE`` on schema ``public`` too, so no role but the owner can shadow a table or a function;
  ``CONNECT`` is revoked from ``PUBLIC`` as well (the login roles and the migrating role get it), and
  so is reading other sessions' statements (``pg_stat_activity``; kept for ``pg_read_all_stats``).
- **Definer functions** are few and small, owned by the definer role, name every object with its
  schema and pin ``search_path = pg_catalog, public, pg_temp``.
- **Composite keys**: every customer-owned row's ``(msp_id, customer_id)`` references
  ``customers (msp_id, id)``, and every row that names a scan references it with its owners
  (``scans (msp_id, customer_id, id)``), so no row can join one MSP to another MSP's customer.
- **Users and memberships**: the login roles cannot insert users or memberships, change
  ``is_platform_operator``, nor write a password hash or an email; ``posture_create_member`` makes
  a new user with a membership in the caller's scope (an existing user joins only by accepting an
  invitation, issue 7), ``posture_set_password_hash`` and ``posture_set_email`` change only the
  scope's own user.
- **Audit trail**: ``created_at`` and ``actor`` are set by the database from the signed scope.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LEGACY_ROLE = "posture_app"
CUSTOMER_OWNED = ("customers", "memberships", "scans", "check_results", "latest_results", "score_history",
                  "audit_events")
#: Tables that name a scan: their (msp_id, customer_id, scan_id) must be that scan's.
SCAN_CHILDREN = ("check_results", "latest_results", "score_history")
_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"

#: The policy every customer-owned table gets (scalar sub-selects: evaluated once per statement).
SCOPE_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
              "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")


def _roles() -> dict[str, str]:
    """Role names: from ``portal.db.migrate`` (``config.attributes["roles"]``), else the ``posture_*`` defaults."""
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    _create_roles(roles)
    _retire_legacy_role()
    _forbid_temporary_objects()
    _create_secrets_table(roles)
    _create_scope_functions(roles)
    _rewrite_policies(roles)
    _add_composite_keys()
    _create_account_functions(roles)
    _stamp_audit_events()
    _grant(roles)


def _create_roles(roles: dict[str, str]) -> None:
    # Cluster-wide: another database may have made them already (then they are left as they are), and
    # two migrations at once may race (the loser's duplicate error means "done").
    for kind, name in roles.items():
        login = "NOLOGIN" if kind == "definer" else "LOGIN"
        op.execute(f"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
                CREATE ROLE "{name}" {login} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION;
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$""")


def _retire_legacy_role() -> None:
    op.execute(f"""
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{LEGACY_ROLE}') THEN
            REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {LEGACY_ROLE};
            REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {LEGACY_ROLE};
            REVOKE ALL ON FUNCTION public.posture_msp_ids() FROM {LEGACY_ROLE};
            REVOKE ALL ON SCHEMA public FROM {LEGACY_ROLE};
            EXECUTE format('REVOKE ALL ON DATABASE %I FROM {LEGACY_ROLE}', current_database());
            IF to_regclass('dramatiq.queue') IS NOT NULL THEN
              REVOKE ALL ON dramatiq.queue FROM {LEGACY_ROLE};
              REVOKE ALL ON SCHEMA dramatiq FROM {LEGACY_ROLE};
            END IF;
          END IF;
        END $$""")


def _forbid_temporary_objects() -> None:
    # PostgreSQL looks in pg_temp first for relations: a temporary view named like one of our tables
    # shadows it, for a definer function too. Without TEMPORARY nobody but the owner can create one.
    # CONNECT too: only the roles granted it below (and the owner) log in to this database at all.
    op.execute("DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY, CONNECT ON DATABASE %I FROM PUBLIC', "
               "current_database()); EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), "
               "current_user); END $$")
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    _hide_other_sessions_statements()


#: What shows other sessions' statements, literal values included (psycopg2 binds on the client).
_ACTIVITY_OBJECTS = ("TABLE pg_catalog.pg_stat_activity", "FUNCTION pg_catalog.pg_stat_get_activity(integer)",
                     "FUNCTION pg_catalog.pg_stat_get_backend_activity(integer)")


def _hide_other_sessions_statements() -> None:
    # Sessions of one role see each other's running statements: a portal session would read another
    # MSP's request, values and all. Monitoring keeps them through pg_read_all_stats. Only a superuser
    # may change these catalogue objects; otherwise a notice says the gap stays (docs/security.md).
    for target in _ACTIVITY_OBJECTS:
        privilege = "SELECT" if target.startswith("TABLE") else "EXECUTE"
        op.execute(f"""
            DO $$ BEGIN
              REVOKE {privilege} ON {target} FROM PUBLIC;
              GRANT {privilege} ON {target} TO pg_read_all_stats;
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'cannot hide other sessions'' statements ({target}): migrate as a superuser to close it';
            END $$""")


def _create_secrets_table(roles: dict[str, str]) -> None:
    op.execute("""
        CREATE TABLE public.posture_secrets (
          name text PRIMARY KEY,
          value bytea NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("REVOKE ALL ON public.posture_secrets FROM PUBLIC")
    op.execute(f'GRANT SELECT ON public.posture_secrets TO "{roles["definer"]}"')


def _create_scope_functions(roles: dict[str, str]) -> None:
    definer = roles["definer"]
    # The signature covers every scope setting and the backend's pid: a signature read off another
    # connection (pg_stat_activity) is worthless here. sha256(k || sha256(k || m)) resists length extension.
    # Every signature the database checks: sha256(k || sha256(k || m)) over the fields, each one
    # length-prefixed (4 bytes, big-endian), so no value can pass for another split of the same text.
    # Nobody but the definer's own functions may call it: it would be a signing oracle.
    op.execute(f"""
        CREATE FUNCTION public.posture_expected_signature(p_fields text[]) RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT encode(sha256(s.value || sha256(s.value || (
                   SELECT coalesce(string_agg(int4send(octet_length(convert_to(coalesce(f, ''), 'UTF8')))
                                              || convert_to(coalesce(f, ''), 'UTF8'), ''::bytea ORDER BY n), ''::bytea)
                   FROM unnest(p_fields) WITH ORDINALITY AS u(f, n)))), 'hex')
          FROM public.posture_secrets s WHERE s.name = 'scope_key'
        $$""")
    # The signature covers every scope setting and the backend's pid: a signature read off another
    # connection is worthless here.
    op.execute(f"""
        CREATE FUNCTION public.posture_scope_msp() RETURNS uuid
        LANGUAGE plpgsql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          sig text := current_setting('app.scope_sig', true);
          expected text;
        BEGIN
          IF sig IS NULL OR sig = '' THEN
            RETURN NULL;
          END IF;
          expected := public.posture_expected_signature(ARRAY['scope',
            coalesce(current_setting('app.msp_id', true), ''), coalesce(current_setting('app.customer_ids', true), ''),
            coalesce(current_setting('app.user_id', true), ''), coalesce(current_setting('app.actor', true), ''),
            pg_backend_pid()::text]);
          IF expected IS NULL OR sig <> expected THEN
            RAISE EXCEPTION 'the transaction scope is not signed with this database''s scope key'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'scopes are set by the unit of work; check POSTURE_SCOPE_KEY matches posture migrate';
          END IF;
          RETURN NULLIF(current_setting('app.msp_id', true), '')::uuid;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_scope_customers() RETURNS uuid[]
        LANGUAGE sql STABLE {_SEARCH_PATH} AS $$
          -- Checked again here, not only in posture_scope_msp(): the two are separate sub-selects of a
          -- policy, run lazily, and a statement could change the settings between them.
          SELECT CASE WHEN public.posture_scope_msp() IS NULL THEN '{{}}'::uuid[]
                      WHEN current_setting('app.customer_ids', true) = '*' THEN NULL
                      ELSE coalesce(NULLIF(current_setting('app.customer_ids', true), '')::uuid[], '{{}}'::uuid[])
                 END
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_scope_user() RETURNS uuid
        LANGUAGE sql STABLE {_SEARCH_PATH} AS $$
          SELECT CASE WHEN public.posture_scope_msp() IS NOT NULL
                      THEN NULLIF(current_setting('app.user_id', true), '')::uuid END
        $$""")
    op.execute("DROP FUNCTION public.posture_msp_ids()")
    op.execute(f"""
        CREATE FUNCTION public.posture_msp_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$ SELECT m.id FROM public.msps m ORDER BY m.id $$""")
    for function in ("posture_expected_signature(text[])", "posture_scope_msp()", "posture_scope_customers()",
                     "posture_scope_user()", "posture_msp_ids()"):
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
    _give_to_definer(definer, "posture_expected_signature(text[])", "posture_scope_msp()", "posture_msp_ids()")


def _give_to_definer(definer: str, *functions: str) -> None:
    # A superuser (or a member of the definer role) may hand the functions over; otherwise they stay the
    # migrating owner's, which still works, with the owner's rights instead of the definer's few.
    for function in functions:
        op.execute(f"""
            DO $$ BEGIN
              ALTER FUNCTION public.{function} OWNER TO "{definer}";
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'public.{function} stays owned by %: it cannot be given to {definer}', current_user;
            END $$""")


def _rewrite_policies(roles: dict[str, str]) -> None:
    definer = roles["definer"]
    for table in CUSTOMER_OWNED:
        op.execute(f"ALTER POLICY {table}_scope ON public.{table} USING ({SCOPE_RULE}) WITH CHECK ({SCOPE_RULE})")
    op.execute("DROP FUNCTION public.posture_in_scope(uuid, uuid)")
    op.execute("ALTER POLICY msps_scope ON public.msps USING (id = (SELECT public.posture_scope_msp()))")
    # The definer lists MSP ids (the scheduler) and checks, creates and updates accounts.
    op.execute(f'CREATE POLICY msps_definer ON public.msps FOR SELECT TO "{definer}" USING (true)')
    op.execute("DROP POLICY users_insert ON public.users")
    op.execute(f'CREATE POLICY users_definer_select ON public.users FOR SELECT TO "{definer}" USING (true)')
    op.execute(f'CREATE POLICY users_definer_insert ON public.users FOR INSERT TO "{definer}" '
               "WITH CHECK (NOT is_platform_operator AND password_hash IS NULL)")
    op.execute(f'CREATE POLICY users_definer_update ON public.users FOR UPDATE TO "{definer}" '
               "USING (id = public.posture_scope_user())")


def _add_composite_keys() -> None:
    op.execute("ALTER TABLE public.customers ADD CONSTRAINT customers_msp_id_id_key UNIQUE (msp_id, id)")
    # One Microsoft tenant is one customer of one MSP: with per-MSP uniqueness, any MSP could point a
    # customer of its own at another MSP's tenant (they all consent to the same app) and read it.
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT customers_msp_id_tenant_id_key")
    op.execute("ALTER TABLE public.customers ADD CONSTRAINT customers_tenant_id_key UNIQUE (tenant_id)")
    op.execute("ALTER TABLE public.scans ADD CONSTRAINT scans_msp_id_customer_id_id_key "
               "UNIQUE (msp_id, customer_id, id)")
    # One membership per user, MSP and customer (a duplicate would make lookups ambiguous).
    op.execute("CREATE UNIQUE INDEX memberships_user_msp_customer_key ON public.memberships "
               "(user_id, msp_id, coalesce(customer_id, '00000000-0000-0000-0000-000000000000'::uuid))")
    for table in ("memberships", "scans", "check_results", "latest_results", "score_history"):
        op.execute(f"ALTER TABLE public.{table} DROP CONSTRAINT {table}_customer_id_fkey")
    for table in ("memberships", "scans", "check_results", "latest_results", "score_history", "audit_events"):
        # MATCH SIMPLE: an MSP-wide row (customer_id NULL) still has its msp_id checked by its own key.
        op.execute(f"ALTER TABLE public.{table} ADD CONSTRAINT {table}_msp_customer_fkey "
                   "FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)")
    for table in ("check_results", "latest_results", "score_history", "audit_events"):
        op.execute(f"ALTER TABLE public.{table} ADD CONSTRAINT {table}_msp_id_fkey "
                   "FOREIGN KEY (msp_id) REFERENCES public.msps (id)")
    for table in SCAN_CHILDREN:
        op.execute(f"ALTER TABLE public.{table} DROP CONSTRAINT {table}_scan_id_fkey")
        op.execute(f"ALTER TABLE public.{table} ADD CONSTRAINT {table}_scan_fkey "
                   "FOREIGN KEY (msp_id, customer_id, scan_id) REFERENCES public.scans (msp_id, customer_id, id) "
                   "ON DELETE CASCADE")


def _create_account_functions(roles: dict[str, str]) -> None:
    op.execute(f"""
        CREATE FUNCTION public.posture_create_member(
          p_email text, p_display_name text, p_role public.role, p_customer_id uuid, p_tags text[]
        ) RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          scope_msp uuid := public.posture_scope_msp();
          new_user uuid := gen_random_uuid();
        BEGIN
          IF scope_msp IS NULL THEN
            RAISE EXCEPTION 'no signed scope: members are created inside an MSP''s scope'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          -- Who asks must be an MSP admin of this MSP, or (for a customer's users) that customer's admin.
          IF NOT EXISTS (SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user()
                         AND m.msp_id = scope_msp
                         AND (m.role = 'msp_admin' OR (p_customer_id IS NOT NULL AND m.role = 'customer_admin'
                                                       AND m.customer_id = p_customer_id))) THEN
            RAISE EXCEPTION 'only an MSP admin (or a customer''s admin, for its users) adds members'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF (p_role IN ('msp_admin', 'msp_analyst')) <> (p_customer_id IS NULL) THEN
            RAISE EXCEPTION 'role % % a customer', p_role,
              CASE WHEN p_customer_id IS NULL THEN 'needs' ELSE 'cannot have' END
              USING ERRCODE = 'check_violation';
          END IF;
          IF EXISTS (SELECT FROM public.users u WHERE lower(u.email) = lower(p_email)) THEN
            RAISE EXCEPTION 'a user with this email exists: invite them; they join only by accepting'
              USING ERRCODE = 'unique_violation';
          END IF;
          INSERT INTO public.users (id, email, display_name) VALUES (new_user, p_email, p_display_name);
          INSERT INTO public.memberships (id, user_id, msp_id, customer_id, role, tags)
            VALUES (gen_random_uuid(), new_user, scope_msp, p_customer_id, p_role, coalesce(p_tags, '{{}}'));
          RETURN new_user;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_set_password_hash(p_user uuid, p_hash text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF p_user IS DISTINCT FROM public.posture_scope_user() THEN
            RAISE EXCEPTION 'a password is changed only by its own user' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_hash IS NULL OR p_hash NOT LIKE '$argon2id$%' THEN
            RAISE EXCEPTION 'password hashes are argon2id' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE public.users SET password_hash = p_hash WHERE id = p_user;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_set_email(p_user uuid, p_email text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF p_user IS DISTINCT FROM public.posture_scope_user() THEN
            RAISE EXCEPTION 'an email is changed only by its own user' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_email IS NULL OR p_email !~ '^[^@[:space:][:cntrl:]|]+@[^@[:space:][:cntrl:]|]+$'
             OR length(p_email) > 320 THEN
            RAISE EXCEPTION 'not an email address' USING ERRCODE = 'check_violation';
          END IF;
          IF EXISTS (SELECT FROM public.users u WHERE lower(u.email) = lower(p_email) AND u.id <> p_user) THEN
            RAISE EXCEPTION 'that email belongs to another account' USING ERRCODE = 'unique_violation';
          END IF;
          UPDATE public.users SET email = lower(p_email) WHERE id = p_user;
        END $$""")
    functions = ("posture_create_member(text, text, public.role, uuid, text[])",
                 "posture_set_password_hash(uuid, text)", "posture_set_email(uuid, text)")
    for function in functions:
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
    _give_to_definer(roles["definer"], *functions)


def _stamp_audit_events() -> None:
    # Who acted and when are the database's word, not the caller's: the actor is the signed scope's.
    op.execute(f"""
        CREATE FUNCTION public.posture_audit_stamp() RETURNS trigger
        LANGUAGE plpgsql {_SEARCH_PATH} AS $$
        BEGIN
          PERFORM public.posture_scope_msp();  -- raises if the settings were changed after signing
          NEW.created_at := now();
          NEW.actor := coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown');
          RETURN NEW;
        END $$""")
    op.execute("CREATE TRIGGER audit_events_stamp BEFORE INSERT ON public.audit_events "
               "FOR EACH ROW EXECUTE FUNCTION public.posture_audit_stamp()")


def _grant(roles: dict[str, str]) -> None:
    web, worker, definer = roles["web"], roles["worker"], roles["definer"]
    op.execute(f"""DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO "{web}", "{worker}"',
               current_database()); END $$""")
    op.execute(f'GRANT USAGE ON SCHEMA public TO "{web}", "{worker}", "{definer}"')
    both = f'"{web}", "{worker}"'
    op.execute(f"GRANT EXECUTE ON FUNCTION public.posture_scope_msp(), public.posture_scope_customers(), "
               f"public.posture_scope_user() TO {both}, \"{definer}\"")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.posture_msp_ids() TO "{worker}"')
    op.execute(f"GRANT EXECUTE ON FUNCTION public.posture_create_member(text, text, public.role, uuid, text[]), "
               f"public.posture_set_password_hash(uuid, text), public.posture_set_email(uuid, text) TO \"{web}\"")
    # The definer's own needs: list MSPs; check, create and update accounts.
    op.execute(f'GRANT SELECT (id) ON public.msps TO "{definer}"')
    op.execute(f'GRANT SELECT (id, email, is_platform_operator, password_hash), INSERT (id, email, display_name), '
               f'UPDATE (password_hash, email) ON public.users TO "{definer}"')
    # SELECT: the users policies look for a visible membership, for the definer as for anyone.
    op.execute(f'GRANT SELECT, INSERT ON public.memberships TO "{definer}"')

    op.execute(f"GRANT SELECT ON public.msps TO {both}")
    op.execute(f'GRANT SELECT (id, email, display_name, is_platform_operator, created_at), UPDATE (display_name) '
               f'ON public.users TO "{web}"')
    # No UPDATE of memberships (a role change is an MSP admin's, through a definer function that checks
    # it, with team management), nor of a customer's tenant or tier (the tenant is fixed at onboarding;
    # the tier is the MSP admin's): a grant cannot tell the roles within a scope apart.
    op.execute(f'GRANT SELECT, DELETE ON public.memberships TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT, DELETE, UPDATE (name, default_domain, connection_state, '
               "connection_reason, missing_permissions, hard_failures, service_tier, seat_limit, tags, "
               f'scan_interval_hours, next_scan_at, last_activity_at) ON public.customers TO "{web}"')
    op.execute(f'GRANT SELECT, UPDATE (default_domain, connection_state, connection_reason, missing_permissions, '
               f'hard_failures, next_scan_at, last_activity_at) ON public.customers TO "{worker}"')
    # The portal queues scans; only workers move them on and write their results.
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, trigger) ON public.scans TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON public.scans TO "{worker}"')
    op.execute(f"GRANT SELECT ON public.check_results, public.latest_results, public.score_history TO {both}")
    op.execute(f'GRANT INSERT ON public.check_results TO "{worker}"')
    op.execute(f'GRANT INSERT, UPDATE ON public.latest_results, public.score_history TO "{worker}"')
    op.execute(f"GRANT SELECT, INSERT (msp_id, customer_id, action, target, details) ON public.audit_events TO {both}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {both}")


def downgrade() -> None:
    roles = _roles()
    web, worker, definer = roles["web"], roles["worker"], roles["definer"]
    op.execute("DROP TRIGGER audit_events_stamp ON public.audit_events")
    op.execute("DROP FUNCTION public.posture_audit_stamp()")
    op.execute("DROP FUNCTION public.posture_create_member(text, text, public.role, uuid, text[])")
    op.execute("DROP FUNCTION public.posture_set_password_hash(uuid, text)")
    op.execute("DROP FUNCTION public.posture_set_email(uuid, text)")
    for table in SCAN_CHILDREN:
        op.execute(f"ALTER TABLE public.{table} DROP CONSTRAINT {table}_scan_fkey")
        op.execute(f"ALTER TABLE public.{table} ADD CONSTRAINT {table}_scan_id_fkey "
                   "FOREIGN KEY (scan_id) REFERENCES public.scans (id) ON DELETE CASCADE")
    for table in ("check_results", "latest_results", "score_history", "audit_events"):
        op.execute(f"ALTER TABLE public.{table} DROP CONSTRAINT {table}_msp_id_fkey")
    for table in ("memberships", "scans", "check_results", "latest_results", "score_history", "audit_events"):
        op.execute(f"ALTER TABLE public.{table} DROP CONSTRAINT {table}_msp_customer_fkey")
    for table in ("memberships", "scans", "check_results", "latest_results", "score_history"):
        op.execute(f"ALTER TABLE public.{table} ADD CONSTRAINT {table}_customer_id_fkey "
                   "FOREIGN KEY (customer_id) REFERENCES public.customers (id)")
    op.execute("DROP INDEX public.memberships_user_msp_customer_key")
    op.execute("ALTER TABLE public.scans DROP CONSTRAINT scans_msp_id_customer_id_id_key")
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT customers_tenant_id_key")
    op.execute("ALTER TABLE public.customers ADD CONSTRAINT customers_msp_id_tenant_id_key UNIQUE (msp_id, tenant_id)")
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT customers_msp_id_id_key")

    op.execute("""
        CREATE FUNCTION public.posture_in_scope(row_msp uuid, row_customer uuid) RETURNS boolean
        LANGUAGE sql STABLE AS $$
          SELECT row_msp = NULLIF(current_setting('app.msp_id', true), '')::uuid
             AND (current_setting('app.customer_ids', true) = '*'
                  OR row_customer = ANY (NULLIF(NULLIF(current_setting('app.customer_ids', true), ''), '*')::uuid[]))
        $$""")
    for table in CUSTOMER_OWNED:
        op.execute(f"ALTER POLICY {table}_scope ON public.{table} USING (posture_in_scope(msp_id, customer_id)) "
                   "WITH CHECK (posture_in_scope(msp_id, customer_id))")
    op.execute("ALTER POLICY msps_scope ON public.msps "
               "USING (id = NULLIF(current_setting('app.msp_id', true), '')::uuid)")
    for policy, table in (("msps_definer", "msps"), ("users_definer_select", "users"),
                          ("users_definer_insert", "users"), ("users_definer_update", "users")):
        op.execute(f"DROP POLICY {policy} ON public.{table}")
    op.execute("CREATE POLICY users_insert ON public.users FOR INSERT WITH CHECK (true)")
    op.execute("DROP FUNCTION public.posture_msp_ids()")
    op.execute("""
        CREATE FUNCTION posture_msp_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$ SELECT id FROM msps ORDER BY id $$""")
    op.execute("REVOKE ALL ON FUNCTION posture_msp_ids() FROM PUBLIC")
    op.execute("DROP FUNCTION public.posture_scope_user()")
    op.execute("DROP FUNCTION public.posture_scope_customers()")
    op.execute("DROP FUNCTION public.posture_scope_msp()")
    op.execute("DROP FUNCTION public.posture_expected_signature(text[])")
    op.execute("DROP TABLE public.posture_secrets")

    for role in (web, worker, definer):
        op.execute(f"""
            DO $$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}";
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}";
                REVOKE ALL ON SCHEMA public FROM "{role}";
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM "{role}"', current_database());
              END IF;
            END $$""")
    op.execute("DO $$ BEGIN EXECUTE format('GRANT TEMPORARY, CONNECT ON DATABASE %I TO PUBLIC', current_database()); "
               "END $$")
    for target in _ACTIVITY_OBJECTS:
        privilege = "SELECT" if target.startswith("TABLE") else "EXECUTE"
        op.execute(f"""
            DO $$ BEGIN
              REVOKE {privilege} ON {target} FROM pg_read_all_stats;
              GRANT {privilege} ON {target} TO PUBLIC;
            EXCEPTION WHEN insufficient_privilege THEN NULL;
            END $$""")
    # 0001's grants to the legacy role, as 0001 left them (the role itself is cluster-wide and stays).
    op.execute(f"""
        DO $$ BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{LEGACY_ROLE}') THEN
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO {LEGACY_ROLE}', current_database());
            GRANT USAGE ON SCHEMA public TO {LEGACY_ROLE};
            GRANT SELECT ON msps, users TO {LEGACY_ROLE};
            GRANT INSERT, UPDATE ON users TO {LEGACY_ROLE};
            GRANT SELECT, INSERT, UPDATE, DELETE ON customers, memberships, scans, check_results, latest_results,
              score_history TO {LEGACY_ROLE};
            GRANT SELECT, INSERT ON audit_events TO {LEGACY_ROLE};
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {LEGACY_ROLE};
            GRANT EXECUTE ON FUNCTION posture_msp_ids() TO {LEGACY_ROLE};
          END IF;
        END $$""")
