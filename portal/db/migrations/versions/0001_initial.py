"""Initial schema: MSPs, customers, users, memberships, scans, results, projection, history, audit.

Creates the application role ``posture_app`` (LOGIN, not superuser, no BYPASSRLS, owns nothing),
grants it only what the application needs, and puts every customer-owned table under row-level
security, enabled and forced, with one policy shape: the row's ``msp_id`` equals the transaction's
``app.msp_id`` and its ``customer_id`` is one of ``app.customer_ids`` (or ``*``: all of the MSP's).
``audit_events`` is append-only: no UPDATE or DELETE grant, and triggers refuse UPDATE, DELETE and
TRUNCATE even to the owner.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APP_ROLE = "posture_app"
CUSTOMER_OWNED = ("customers", "memberships", "scans", "check_results", "latest_results", "score_history",
                  "audit_events")
ENUMS = {
    "connection_state": ("pending_consent", "connected", "degraded", "disconnected"),
    "access_tier": ("monitor", "operate", "manage"),
    "role": ("msp_admin", "msp_analyst", "customer_admin", "customer_viewer"),
    "scan_trigger": ("manual", "schedule", "onboarding"),
    "scan_status": ("queued", "running", "completed", "partial", "disconnected", "failed"),
}


def _enum(name: str) -> pg.ENUM:
    return pg.ENUM(*ENUMS[name], name=name, create_type=False)


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    for name, values in ENUMS.items():
        pg.ENUM(*values, name=name).create(op.get_bind())

    op.create_table(
        "msps",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(63), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("is_platform_operator", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("msp_id", sa.Uuid, sa.ForeignKey("msps.id"), nullable=False, index=True),
        sa.Column("customer_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False, comment="Entra tenant id (GUID)"),
        sa.Column("default_domain", sa.String(255)),
        sa.Column("connection_state", _enum("connection_state"), nullable=False, server_default="pending_consent"),
        sa.Column("connection_reason", sa.Text),
        sa.Column("missing_permissions", pg.ARRAY(sa.String), nullable=False, server_default="{}"),
        sa.Column("hard_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("access_tier", _enum("access_tier"), nullable=False, server_default="operate"),
        sa.Column("service_tier", sa.String(40), nullable=False, server_default="standard"),
        sa.Column("seat_limit", sa.Integer),
        sa.Column("tags", pg.ARRAY(sa.String), nullable=False, server_default="{}"),
        sa.Column("scan_interval_hours", sa.Integer, nullable=False, server_default="24"),
        sa.Column("next_scan_at", sa.DateTime(timezone=True), index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("msp_id", "tenant_id"),
        sa.CheckConstraint("customer_id = id", name="customer_id_is_id"),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("msp_id", sa.Uuid, sa.ForeignKey("msps.id"), nullable=False, index=True),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), index=True),
        sa.Column("role", _enum("role"), nullable=False),
        sa.Column("tags", pg.ARRAY(sa.String), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("msp_id", sa.Uuid, sa.ForeignKey("msps.id"), nullable=False),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False, index=True),
        sa.Column("trigger", _enum("scan_trigger"), nullable=False),
        sa.Column("status", _enum("scan_status"), nullable=False, server_default="queued"),
        sa.Column("failure_reason", sa.Text),
        sa.Column("queued_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("request_count", sa.Integer),
        sa.Column("duration_s", sa.Float),
        sa.Column("partial", sa.Boolean),
        sa.Column("score", sa.Float),
        sa.Column("grade", sa.String(2)),
        sa.Column("coverage", sa.Float),
    )
    op.create_table(
        "check_results",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("scan_id", sa.Uuid, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("msp_id", sa.Uuid, nullable=False),
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("check_id", sa.String(120), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("evidence", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("affected", pg.JSONB, nullable=False, server_default="[]"),
    )
    op.create_table(
        "latest_results",
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("check_id", sa.String(120), primary_key=True),
        sa.Column("msp_id", sa.Uuid, nullable=False),
        sa.Column("scan_id", sa.Uuid, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("previous_status", sa.String(20)),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("affected_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_latest_results_check_status", "latest_results", ["msp_id", "check_id", "status"])
    op.create_table(
        "score_history",
        sa.Column("customer_id", sa.Uuid, sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("msp_id", sa.Uuid, nullable=False),
        sa.Column("scan_id", sa.Uuid, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("grade", sa.String(2)),
        sa.Column("coverage", sa.Float, nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("msp_id", sa.Uuid, nullable=False),
        sa.Column("customer_id", sa.Uuid, index=True),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("details", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )

    _create_app_role_and_grants()
    _enable_row_level_security()
    _protect_platform_tables()
    _make_audit_append_only()


def _create_app_role_and_grants() -> None:
    # The role is cluster-wide: databases migrated at the same moment (parallel test runs) may both
    # find it missing, and the loser of that race gets a duplicate error, which here means "done".
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    op.execute(f"GRANT CONNECT ON DATABASE \"{op.get_bind().engine.url.database}\" TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON msps, users TO {APP_ROLE}")
    op.execute(f"GRANT INSERT, UPDATE ON users TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON customers, memberships, scans, check_results, "
               f"latest_results, score_history TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON audit_events TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")


def _enable_row_level_security() -> None:
    # One function holds the rule so every table's policy is the same. STABLE and SQL: the planner
    # inlines it, so the fleet queries keep using their indexes.
    op.execute("""
        CREATE FUNCTION posture_in_scope(row_msp uuid, row_customer uuid) RETURNS boolean
        LANGUAGE sql STABLE AS $$
          SELECT row_msp = NULLIF(current_setting('app.msp_id', true), '')::uuid
             AND (current_setting('app.customer_ids', true) = '*'
                  OR row_customer = ANY (NULLIF(NULLIF(current_setting('app.customer_ids', true), ''), '*')::uuid[]))
        $$""")
    for table in CUSTOMER_OWNED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_scope ON {table} "
                   f"USING (posture_in_scope(msp_id, customer_id)) WITH CHECK (posture_in_scope(msp_id, customer_id))")


def _protect_platform_tables() -> None:
    # msps and users are not customer-owned, but an MSP must not read another MSP's name or staff.
    # RLS is enabled (not forced): the owner keeps full access for migrations and the definer function.
    op.execute("ALTER TABLE msps ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY msps_scope ON msps USING (id = NULLIF(current_setting('app.msp_id', true), '')::uuid)")
    op.execute("ALTER TABLE users ENABLE ROW LEVEL SECURITY")
    # A user is visible when one of their memberships is (memberships is itself scoped by RLS).
    op.execute("CREATE POLICY users_scope ON users FOR SELECT USING "
               "(EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id))")
    op.execute("CREATE POLICY users_update ON users FOR UPDATE USING "
               "(EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id))")
    op.execute("CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (true)")
    # The scheduler walks every MSP without a scope; it may learn their ids, nothing else.
    op.execute("""
        CREATE FUNCTION posture_msp_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$ SELECT id FROM msps ORDER BY id $$""")
    op.execute("REVOKE ALL ON FUNCTION posture_msp_ids() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION posture_msp_ids() TO {APP_ROLE}")


def _make_audit_append_only() -> None:
    op.execute("""
        CREATE FUNCTION posture_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
        END $$""")
    op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
               "FOR EACH ROW EXECUTE FUNCTION posture_audit_append_only()")
    # TRUNCATE fires no row trigger: without this one the owner could still empty the trail.
    op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION posture_audit_append_only()")


def downgrade() -> None:
    # The role is cluster-wide and may serve other databases: its grants go with the tables; the role stays.
    for policy in ("users_scope", "users_update", "users_insert"):  # they reference memberships
        op.execute(f"DROP POLICY {policy} ON users")
    for table in ("audit_events", "score_history", "latest_results", "check_results", "scans", "memberships",
                  "customers", "users", "msps"):
        op.drop_table(table)
    op.execute("DROP FUNCTION posture_msp_ids()")
    op.execute("DROP FUNCTION posture_audit_append_only()")
    op.execute("DROP FUNCTION posture_in_scope(uuid, uuid)")
    for name in reversed(list(ENUMS)):
        op.execute(f"DROP TYPE {name}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE CONNECT ON DATABASE \"{op.get_bind().engine.url.database}\" FROM {APP_ROLE}")
