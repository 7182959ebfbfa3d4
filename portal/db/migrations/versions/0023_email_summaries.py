"""Email summaries: a customer's leadership gets its report by mail, on a cadence, and may stop it.

- ``summary_settings``: one row per customer: the cadence (off, weekly, monthly, quarterly), whether the
  customer's own users receive it, extra addresses, and when the next one is due. Written by whoever may
  make the customer's reports (``posture_scope_may_report``, migration 0022); the worker moves
  ``next_due_at`` on.
- ``summary_sends``: one summary of one report (``report_id``, rendered by the report actor) to its
  recipients. A scheduled send is unique per customer and period (``2026-12``, ``2026-W49``, ``2026-Q4``),
  so two ticks at once cannot send a period twice; a test send (``kind = 'test'``) goes to the person who
  asked, from the web role.
- ``summary_deliveries``: one message to one address, an outbox row as ``alert_deliveries`` (migration
  0017): leased by the tick, claimed by one worker, every attempt's SMTP outcome kept.
- ``summary_unsubscribes``: the addresses that asked to stop, per customer. Written only by
  ``posture_unsubscribe``, a definer function the unsubscribe page calls without a session: it takes a
  delivery id and the link's signature, checks the signature itself (as the sign-in functions of 0004
  do), and stops that delivery's address for that delivery's customer. ``posture_unsubscribe_subject``
  reads the same, for the confirmation page.
- ``posture_summary_recipients``: the email addresses of a customer's own users, for the worker (which
  cannot read ``users``) and the settings page.
- Workers may now request reports (a scheduled summary needs one).

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from alembic import context, op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_ACTOR = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"
_IN_SCOPE = ("((SELECT public.posture_scope_customers() IS NULL) "
             "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_MSP = "msp_id = (SELECT public.posture_scope_msp())"
_SCOPE_RULE = f"{_MSP} AND {_IN_SCOPE}"
_MAY_REPORT = "(SELECT public.posture_scope_may_report(customer_id))"
#: The unsubscribe link's signature, checked here and not only by the portal: the web role alone
#: cannot unsubscribe, or read, a delivery it holds no link for (first 128 bits of the signature).
_LINK_SIGNED = ("p_mac IS NOT NULL AND length(p_mac) = 32 AND p_mac = "
                "left(public.posture_expected_signature(ARRAY['summary-unsubscribe', p_delivery::text]), 32)")
_ADDRESS = r"address ~ '^[^@\s]+@[^@\s]+$' AND length(address) <= 320 AND address = lower(address)"


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def _owned(name: str, definer: str, *, definer_selects: bool) -> None:
    op.execute(f"ALTER TABLE public.{name} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE public.{name} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {name}_scope ON public.{name} USING ({_SCOPE_RULE}) WITH CHECK ({_SCOPE_RULE})")
    op.execute(f"REVOKE ALL ON public.{name} FROM PUBLIC")
    if definer_selects:
        op.execute(f'CREATE POLICY {name}_definer ON public.{name} FOR SELECT TO "{definer}" USING (true)')
        op.execute(f'GRANT SELECT ON public.{name} TO "{definer}"')


def _definer_owned(signature: str, definer: str, web_or_worker: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION public.{signature} FROM PUBLIC")
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.{signature} OWNER TO "{definer}";
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'public.{signature} stays owned by %', current_user;
        END $$""")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.{signature} TO "{web_or_worker}"')


def upgrade() -> None:
    roles = _roles()
    web, worker, definer = roles["web"], roles["worker"], roles["definer"]

    op.execute(f"""
        CREATE TABLE public.summary_settings (
          customer_id uuid PRIMARY KEY,
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          cadence text NOT NULL DEFAULT 'off' CHECK (cadence IN ('off', 'weekly', 'monthly', 'quarterly')),
          include_customer_users boolean NOT NULL DEFAULT true,
          extra_recipients text[] NOT NULL DEFAULT '{{}}' CHECK (cardinality(extra_recipients) <= 50),
          next_due_at timestamptz,
          updated_by text NOT NULL DEFAULT {_ACTOR},
          updated_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          CHECK ((cadence = 'off') = (next_due_at IS NULL))
        )""")
    op.execute("CREATE INDEX ix_summary_settings_due ON public.summary_settings (next_due_at) "
               "WHERE next_due_at IS NOT NULL")
    _owned("summary_settings", definer, definer_selects=False)
    for command in ("INSERT", "UPDATE"):
        using = "" if command == "INSERT" else f"USING ({_MAY_REPORT}) "
        op.execute(f'CREATE POLICY summary_settings_{command.lower()} ON public.summary_settings AS RESTRICTIVE '
                   f'FOR {command} TO "{web}" {using}WITH CHECK ({_MAY_REPORT})')
    columns = "cadence, include_customer_users, extra_recipients, next_due_at"
    op.execute(f"GRANT SELECT, INSERT (customer_id, msp_id, {columns}), UPDATE ({columns}, updated_by, updated_at) "
               f'ON public.summary_settings TO "{web}"')
    op.execute(f'GRANT SELECT, UPDATE (next_due_at) ON public.summary_settings TO "{worker}"')

    op.execute(f"""
        CREATE TABLE public.summary_sends (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid NOT NULL,
          report_id uuid NOT NULL REFERENCES public.reports (id),
          kind text NOT NULL CHECK (kind IN ('scheduled', 'test')),
          period text CHECK (length(period) BETWEEN 1 AND 20),
          requested_by text NOT NULL DEFAULT {_ACTOR},
          created_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          CHECK ((kind = 'scheduled') = (period IS NOT NULL))
        )""")
    op.execute("CREATE UNIQUE INDEX uq_summary_sends_period ON public.summary_sends (customer_id, period) "
               "WHERE kind = 'scheduled'")
    op.execute("CREATE INDEX ix_summary_sends_report ON public.summary_sends (report_id)")
    _owned("summary_sends", definer, definer_selects=True)
    # The web role makes test sends only, for customers whose reports the scope's user may make.
    op.execute(f'CREATE POLICY summary_sends_test ON public.summary_sends AS RESTRICTIVE FOR INSERT TO "{web}" '
               f"WITH CHECK (kind = 'test' AND {_MAY_REPORT} AND EXISTS (SELECT FROM public.reports r "
               "WHERE r.id = report_id AND r.customer_id = summary_sends.customer_id))")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, report_id, kind) ON public.summary_sends TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, report_id, kind, period) '
               f'ON public.summary_sends TO "{worker}"')

    op.execute(f"""
        CREATE TABLE public.summary_deliveries (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid NOT NULL,
          send_id uuid NOT NULL REFERENCES public.summary_sends (id),
          address text NOT NULL CHECK ({_ADDRESS}),
          status text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'gave_up', 'unsubscribed')),
          attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
          next_attempt_at timestamptz NOT NULL DEFAULT now(),
          leased_at timestamptz,
          last_attempt_at timestamptz,
          sent_at timestamptz,
          smtp_code integer,
          outcome text CHECK (length(outcome) <= 500),
          created_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          UNIQUE (send_id, address)
        )""")
    op.execute("CREATE INDEX ix_summary_deliveries_due ON public.summary_deliveries (next_attempt_at) "
               "WHERE status = 'pending'")
    op.execute("CREATE INDEX ix_summary_deliveries_customer ON public.summary_deliveries "
               "(customer_id, created_at DESC)")
    _owned("summary_deliveries", definer, definer_selects=True)
    # A test send's one delivery: to the person who asks (the service checks; the policy holds the kind).
    op.execute(f'CREATE POLICY summary_deliveries_test ON public.summary_deliveries AS RESTRICTIVE FOR INSERT '
               f'TO "{web}" WITH CHECK ({_MAY_REPORT} AND EXISTS (SELECT FROM public.summary_sends s '
               "WHERE s.id = send_id AND s.kind = 'test' AND s.customer_id = summary_deliveries.customer_id))")
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, send_id, address) '
               f'ON public.summary_deliveries TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT (id, msp_id, customer_id, send_id, address, status, next_attempt_at), '
               f'UPDATE (status, attempts, next_attempt_at, leased_at, last_attempt_at, sent_at, smtp_code, outcome) '
               f'ON public.summary_deliveries TO "{worker}"')

    op.execute(f"""
        CREATE TABLE public.summary_unsubscribes (
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid NOT NULL,
          address text NOT NULL CHECK ({_ADDRESS}),
          unsubscribed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (customer_id, address),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    _owned("summary_unsubscribes", definer, definer_selects=True)
    op.execute(f'CREATE POLICY summary_unsubscribes_definer_insert ON public.summary_unsubscribes FOR INSERT '
               f'TO "{definer}" WITH CHECK (true)')
    op.execute(f'GRANT INSERT ON public.summary_unsubscribes TO "{definer}"')
    op.execute(f'GRANT SELECT ON public.summary_unsubscribes TO "{web}", "{worker}"')

    op.execute(f"""
        CREATE FUNCTION public.posture_unsubscribe_subject(p_delivery uuid, p_mac text)
          RETURNS TABLE (customer_name text, address text, unsubscribed boolean)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT c.name, d.address, EXISTS (SELECT FROM public.summary_unsubscribes u
                                             WHERE u.customer_id = d.customer_id AND u.address = d.address)
            FROM public.summary_deliveries d JOIN public.customers c ON c.id = d.customer_id
           WHERE d.id = p_delivery AND {_LINK_SIGNED}
        $$""")
    _definer_owned("posture_unsubscribe_subject(uuid, text)", definer, web)
    op.execute(f"""
        CREATE FUNCTION public.posture_unsubscribe(p_delivery uuid, p_mac text) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          found public.summary_deliveries;
          made integer;
        BEGIN
          SELECT * INTO found FROM public.summary_deliveries d WHERE d.id = p_delivery AND {_LINK_SIGNED};
          IF found.id IS NULL THEN
            RETURN false;
          END IF;
          INSERT INTO public.summary_unsubscribes (msp_id, customer_id, address)
            VALUES (found.msp_id, found.customer_id, found.address) ON CONFLICT DO NOTHING;
          GET DIAGNOSTICS made = ROW_COUNT;
          IF made > 0 THEN
            PERFORM set_config('app.actor', 'unsubscribe link', true);
            INSERT INTO public.audit_events (msp_id, customer_id, action, target, details)
              VALUES (found.msp_id, found.customer_id, 'summary.unsubscribed', 'delivery:' || found.id,
                      jsonb_build_object('address', found.address));
          END IF;
          RETURN true;
        END $$""")
    _definer_owned("posture_unsubscribe(uuid, text)", definer, web)

    # The worker's one look at users (and the page's list): the addresses of the customer's own people
    # (no names, no hashes), for a customer in the scope.
    op.execute(f"""
        CREATE FUNCTION public.posture_summary_recipients(p_customer uuid) RETURNS SETOF text
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT DISTINCT lower(u.email) FROM public.memberships m JOIN public.users u ON u.id = m.user_id
           WHERE m.customer_id = p_customer AND m.msp_id = public.posture_scope_msp()
             AND m.role IN ('customer_admin', 'customer_viewer')
             AND (public.posture_scope_customers() IS NULL
                  OR p_customer = ANY (CAST(public.posture_scope_customers() AS uuid[])))
        $$""")
    _definer_owned("posture_summary_recipients(uuid)", definer, worker)
    op.execute(f'GRANT EXECUTE ON FUNCTION public.posture_summary_recipients(uuid) TO "{web}"')

    op.execute(f'GRANT INSERT (id, msp_id, customer_id, scan_id, kind, version, note) ON public.reports TO "{worker}"')


def downgrade() -> None:
    roles = _roles()
    op.execute(f'REVOKE INSERT (id, msp_id, customer_id, scan_id, kind, version, note) ON public.reports '
               f'FROM "{roles["worker"]}"')
    op.execute("DROP FUNCTION public.posture_summary_recipients(uuid)")
    op.execute("DROP FUNCTION public.posture_unsubscribe(uuid, text)")
    op.execute("DROP FUNCTION public.posture_unsubscribe_subject(uuid, text)")
    for name in ("summary_unsubscribes", "summary_deliveries", "summary_sends", "summary_settings"):
        op.execute(f"DROP TABLE public.{name}")
