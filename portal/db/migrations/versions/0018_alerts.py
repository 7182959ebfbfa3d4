"""Alerts: an MSP's channels and rules, the alerts they raise, and the delivery log.

- ``alert_channels``: where alerts go (email recipients, a Teams or Slack incoming webhook, a generic
  webhook signed with HMAC-SHA256). The target (addresses or URL) and the signing secret are sealed
  by the portal (AES-GCM under a key derived from the scope key): the table holds ciphertext and a
  redacted hint for display, never a URL with its token in clear.
- ``alert_rules``: a condition (new critical finding, score drop of more than N points, a check
  regressed, connection lost, scans failing N times in a row), optionally limited to customers with
  a tag, routed to one channel.
- ``alerts``: one row per (rule, customer, check) while the condition holds; the partial unique index
  is the "one alert until it clears" rule, so two workers recording scans of one tenant cannot raise
  it twice. Customer-owned, under the usual policy; written by workers.
- ``alert_deliveries``: the outbox and the delivery log: one row per message to a channel (an alert
  opened or cleared, or a test), with its attempts, the last response and when to try again.

Channels and rules are MSP staff's to read and MSP admins' to write: the policies ask definer
functions about the scope's user, so a customer user's session (or an analyst's) cannot write one
even with an injected statement. Workers read them under their customer scope (``TO`` the worker).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

from alembic import context, op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
#: Revision 0002's policy, written out again: migrations never import each other.
SCOPE_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
              "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_ADMIN = "posture_scope_is_msp_admin()"
_CONDITIONS = "('new_critical', 'score_drop', 'regressed', 'connection_lost', 'scan_failing')"


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    web, worker, definer = roles["web"], roles["worker"], roles["definer"]
    op.execute(f"""
        CREATE FUNCTION public.{_ADMIN} RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT EXISTS (SELECT FROM public.memberships m
                         WHERE m.user_id = public.posture_scope_user() AND m.msp_id = public.posture_scope_msp()
                           AND m.customer_id IS NULL AND m.role = 'msp_admin')
        $$""")
    op.execute(f"REVOKE ALL ON FUNCTION public.{_ADMIN} FROM PUBLIC")
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.{_ADMIN} OWNER TO "{definer}";
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'public.{_ADMIN} stays owned by %', current_user;
        END $$""")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.{_ADMIN} TO "{web}"')

    op.execute("""
        CREATE TABLE public.alert_channels (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          kind text NOT NULL CHECK (kind IN ('email', 'teams', 'slack', 'webhook')),
          name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
          target_sealed bytea NOT NULL,
          secret_sealed bytea,
          target_hint text NOT NULL CHECK (length(target_hint) <= 200),
          created_by text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          deleted_at timestamptz,
          CHECK ((kind = 'webhook') = (secret_sealed IS NOT NULL))
        )""")
    op.execute("""
        CREATE TABLE public.alert_rules (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          condition text NOT NULL CHECK (condition IN """ + _CONDITIONS + """),
          threshold integer CHECK (threshold BETWEEN 1 AND 100),
          tag text CHECK (length(tag) BETWEEN 1 AND 50),
          channel_id uuid NOT NULL REFERENCES public.alert_channels (id),
          created_by text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          deleted_at timestamptz,
          CHECK ((condition IN ('score_drop', 'scan_failing')) = (threshold IS NOT NULL))
        )""")
    staff_reads = "msp_id = (SELECT public.posture_scope_msp()) AND (SELECT public.posture_scope_is_msp_staff())"
    admin_writes = f"msp_id = (SELECT public.posture_scope_msp()) AND (SELECT public.{_ADMIN})"
    for table in ("alert_channels", "alert_rules"):
        op.execute(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY")
        op.execute(f'CREATE POLICY {table}_staff_read ON public.{table} FOR SELECT TO "{web}" USING ({staff_reads})')
        op.execute(f'CREATE POLICY {table}_admin_insert ON public.{table} FOR INSERT TO "{web}" '
                   f"WITH CHECK ({admin_writes})")
        op.execute(f'CREATE POLICY {table}_admin_update ON public.{table} FOR UPDATE TO "{web}" '
                   f"USING ({admin_writes}) WITH CHECK ({admin_writes})")
        # A worker recording a customer's scan reads its MSP's rules and channels (a customer scope).
        op.execute(f'CREATE POLICY {table}_worker_read ON public.{table} FOR SELECT TO "{worker}" '
                   "USING (msp_id = (SELECT public.posture_scope_msp()))")
        op.execute(f"REVOKE ALL ON public.{table} FROM PUBLIC")
        op.execute(f'GRANT SELECT ON public.{table} TO "{worker}"')
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, kind, name, target_sealed, secret_sealed, target_hint, created_by), '
               f'UPDATE (deleted_at) ON public.alert_channels TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, condition, threshold, tag, channel_id, created_by), '
               f'UPDATE (deleted_at) ON public.alert_rules TO "{web}"')

    op.execute("""
        CREATE TABLE public.alerts (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL,
          customer_id uuid NOT NULL,
          rule_id uuid NOT NULL REFERENCES public.alert_rules (id),
          condition text NOT NULL,
          check_id text NOT NULL DEFAULT '',
          opened_at timestamptz NOT NULL,
          cleared_at timestamptz,
          details jsonb NOT NULL DEFAULT '{}',
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    op.execute("CREATE UNIQUE INDEX uq_alerts_open ON public.alerts (rule_id, customer_id, check_id) "
               "WHERE cleared_at IS NULL")
    op.execute("CREATE INDEX ix_alerts_customer_open ON public.alerts (customer_id) WHERE cleared_at IS NULL")
    op.execute("ALTER TABLE public.alerts ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.alerts FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY alerts_scope ON public.alerts USING ({SCOPE_RULE}) WITH CHECK ({SCOPE_RULE})")
    op.execute("REVOKE ALL ON public.alerts FROM PUBLIC")
    op.execute(f'GRANT SELECT ON public.alerts TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE (cleared_at, details) ON public.alerts TO "{worker}"')

    op.execute("""
        CREATE TABLE public.alert_deliveries (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid,
          alert_id uuid REFERENCES public.alerts (id),
          channel_id uuid NOT NULL REFERENCES public.alert_channels (id),
          event text NOT NULL CHECK (event IN ('opened', 'cleared', 'test')),
          status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'gave_up')),
          attempts integer NOT NULL DEFAULT 0,
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          last_attempt_at timestamptz,
          response_code integer,
          error text CHECK (length(error) <= 500),
          sent_at timestamptz,
          created_by text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          CHECK ((event = 'test') = (alert_id IS NULL))
        )""")
    op.execute("CREATE INDEX ix_alert_deliveries_due ON public.alert_deliveries (next_attempt_at) "
               "WHERE status = 'pending'")
    op.execute("CREATE INDEX ix_alert_deliveries_msp ON public.alert_deliveries (msp_id, created_at DESC)")
    op.execute("ALTER TABLE public.alert_deliveries ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.alert_deliveries FORCE ROW LEVEL SECURITY")
    # The customer-owned policy (a test delivery belongs to the MSP as a whole, customer_id NULL: a
    # customer scope does not see it), narrowed for the web role: staff read, admins queue tests only.
    op.execute(f"CREATE POLICY alert_deliveries_scope ON public.alert_deliveries USING ({SCOPE_RULE}) "
               f"WITH CHECK ({SCOPE_RULE})")
    op.execute(f'CREATE POLICY alert_deliveries_web_read ON public.alert_deliveries AS RESTRICTIVE FOR SELECT '
               f'TO "{web}" USING ((SELECT public.posture_scope_is_msp_staff()))')
    op.execute(f'CREATE POLICY alert_deliveries_web_insert ON public.alert_deliveries AS RESTRICTIVE FOR INSERT '
               f"TO \"{web}\" WITH CHECK ((SELECT public.{_ADMIN}) AND event = 'test')")
    op.execute("REVOKE ALL ON public.alert_deliveries FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, channel_id, event, created_by) ON public.alert_deliveries '
               f'TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE (status, attempts, next_attempt_at, last_attempt_at, response_code, '
               f'error, sent_at) ON public.alert_deliveries TO "{worker}"')


def downgrade() -> None:
    op.execute("DROP TABLE public.alert_deliveries")
    op.execute("DROP TABLE public.alerts")
    op.execute("DROP TABLE public.alert_rules")
    op.execute("DROP TABLE public.alert_channels")
    op.execute(f"DROP FUNCTION public.{_ADMIN}")
