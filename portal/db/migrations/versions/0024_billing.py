"""Billing: seats, service tiers, the operator's rate card, invoices and their lines.

- ``customers``: ``service_tier`` is one of ``starter``, ``professional``, ``enterprise`` (earlier free
  text: anything else becomes ``professional``); ``licence_type`` is ``per_user`` or ``custom``;
  ``removed_at`` ends a customer's billing (and its scans). The web role no longer updates the tier
  or the seat limit directly (nor inserts a customer with them): ``posture_set_billing_terms`` and
  ``posture_remove_customer`` do (migration 0026), for an MSP admin only (a grant cannot tell an analyst
  from an admin).
- ``billing_changes``: every change of tier, seat limit, licence type or removal, with who, when, old
  and new, written by a trigger on ``customers``: no path that changes them escapes the log, and no
  role may write the log itself.
- ``service_tier_names``: the MSP's own names for its three tiers (staff read them).
- ``tier_prices``: what the MSP charges its own client per managed user per month on each tier (money:
  its admins and the platform operator only).
- ``rate_cards``: the platform operator's price for one MSP from a month on (``effective_from``, the first
  of a month): per-user monthly rates by volume band, the branding and reporting add-ons and how each is
  split across customers. A period is priced by the card in force on its first day, so a change never
  reprices days already past. Read by the MSP's admins, the operator and the workers; written by the
  operator only.
- ``invoices`` and ``invoice_lines``: a closed period, immutable: inserted by the workers only, once
  per MSP and period (unique), lines only in the transaction that closed their invoice; no role may
  update or delete them and triggers refuse it even to the owner.
- ``posture_scope_is_operator()``: whether the scope's user operates the platform;
  ``posture_operator_msps()``: the MSPs, for the operator's page only.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from alembic import context, op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_ACTOR = "coalesce(NULLIF(current_setting('app.actor', true), ''), 'unknown')"
_MSP = "msp_id = (SELECT public.posture_scope_msp())"
_IN_SCOPE = ("((SELECT public.posture_scope_customers() IS NULL) "
             "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_ADMIN = "(SELECT public.posture_scope_is_msp_admin())"
_OPERATOR = "(SELECT public.posture_scope_is_operator())"
_STAFF = "(SELECT public.posture_scope_is_msp_staff())"


def _system(web: str) -> str:
    """A scope with no user, outside the web role: the workers (the portal opens user-less scopes to
    audit a sign-in or honour an unsubscribe link; none of those reads money, so none may)."""
    return f"((SELECT public.posture_scope_user()) IS NULL AND current_user <> '{web}')"


def _money(web: str) -> str:
    """Who sees money: the MSP's admins, the platform operator, and the workers."""
    return f"({_ADMIN} OR {_OPERATOR} OR {_system(web)})"
_TIERS = "('starter', 'professional', 'enterprise')"
_TABLES = ("invoice_lines", "invoices", "rate_cards", "tier_prices", "service_tier_names", "billing_changes")


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def _secured(name: str) -> None:
    op.execute(f"ALTER TABLE public.{name} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE public.{name} FORCE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON public.{name} FROM PUBLIC")


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


def upgrade() -> None:
    roles = _roles()
    web, worker, definer = roles["web"], roles["worker"], roles["definer"]
    _operator_functions(web, worker, definer)
    _customer_terms(web, worker, definer)
    _tiers(web, worker)
    _rate_cards(web, worker)
    _invoices(web, worker)


def _operator_functions(web: str, worker: str, definer: str) -> None:
    op.execute(f"""
        CREATE FUNCTION public.posture_scope_is_operator() RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT EXISTS (SELECT FROM public.users u
                         WHERE u.id = public.posture_scope_user() AND u.is_platform_operator)
        $$""")
    _definer_owned("posture_scope_is_operator()", definer, web, worker)
    # The money policies ask whether the scope's user is an admin; the workers' scopes have no user.
    op.execute(f'GRANT EXECUTE ON FUNCTION public.posture_scope_is_msp_admin() TO "{worker}"')
    op.execute(f'GRANT SELECT (slug, created_at) ON public.msps TO "{definer}"')
    # The operator's list of MSPs: every MSP, to an operator only (anyone else gets no rows).
    op.execute(f"""
        CREATE FUNCTION public.posture_operator_msps()
          RETURNS TABLE (id uuid, name text, slug text, created_at timestamptz, customers bigint)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT m.id, m.name::text, m.slug::text, m.created_at,
                 (SELECT count(*) FROM public.customers c WHERE c.msp_id = m.id)
            FROM public.msps m
           WHERE public.posture_scope_is_operator()
           ORDER BY m.name
        $$""")
    _definer_owned("posture_operator_msps()", definer, web)


def _customer_terms(web: str, worker: str, definer: str) -> None:
    op.execute(f"UPDATE public.customers SET service_tier = 'professional' WHERE service_tier NOT IN {_TIERS}")
    op.execute("ALTER TABLE public.customers ALTER COLUMN service_tier SET DEFAULT 'professional'")
    op.execute(f"ALTER TABLE public.customers ADD CONSTRAINT ck_customers_service_tier "
               f"CHECK (service_tier IN {_TIERS})")
    op.execute("ALTER TABLE public.customers ADD COLUMN licence_type text NOT NULL DEFAULT 'per_user' "
               "CONSTRAINT ck_customers_licence_type CHECK (licence_type IN ('per_user', 'custom'))")
    op.execute("ALTER TABLE public.customers ADD COLUMN removed_at timestamptz")
    op.execute("ALTER TABLE public.customers ADD CONSTRAINT ck_customers_seat_limit "
               "CHECK (seat_limit IS NULL OR seat_limit BETWEEN 0 AND 10000000)")
    op.execute(f'REVOKE UPDATE (service_tier, seat_limit), INSERT (service_tier, seat_limit) '
               f'ON public.customers FROM "{web}"')
    op.execute(f'GRANT SELECT (service_tier, seat_limit, licence_type, removed_at, suspended_at, suspended_by), '
               f'UPDATE (service_tier, seat_limit, licence_type, removed_at, suspended_at, suspended_by) '
               f'ON public.customers TO "{definer}"')
    op.execute(f'CREATE POLICY customers_definer_terms ON public.customers FOR UPDATE TO "{definer}" USING (true)')

    op.execute("""
        CREATE TABLE public.billing_changes (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid NOT NULL,
          field text NOT NULL CHECK (field IN ('service_tier', 'seat_limit', 'licence_type', 'removed')),
          old_value text,
          new_value text,
          actor text NOT NULL,
          changed_at timestamptz NOT NULL DEFAULT now(),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    op.execute("CREATE INDEX ix_billing_changes_msp ON public.billing_changes (msp_id, changed_at DESC)")
    _secured("billing_changes")
    op.execute(f"CREATE POLICY billing_changes_read ON public.billing_changes FOR SELECT "
               f"USING ({_MSP} AND {_IN_SCOPE} AND {_money(web)})")
    op.execute(f'CREATE POLICY billing_changes_definer ON public.billing_changes FOR INSERT TO "{definer}" '
               "WITH CHECK (true)")
    op.execute(f'GRANT SELECT ON public.billing_changes TO "{web}"')
    op.execute(f'GRANT INSERT ON public.billing_changes TO "{definer}"')
    op.execute(f"""
        CREATE FUNCTION public.posture_log_billing_change() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          who text := {_ACTOR};
        BEGIN
          IF NEW.service_tier IS DISTINCT FROM OLD.service_tier THEN
            INSERT INTO public.billing_changes (msp_id, customer_id, field, old_value, new_value, actor)
              VALUES (NEW.msp_id, NEW.id, 'service_tier', OLD.service_tier, NEW.service_tier, who);
          END IF;
          IF NEW.seat_limit IS DISTINCT FROM OLD.seat_limit THEN
            INSERT INTO public.billing_changes (msp_id, customer_id, field, old_value, new_value, actor)
              VALUES (NEW.msp_id, NEW.id, 'seat_limit', OLD.seat_limit::text, NEW.seat_limit::text, who);
          END IF;
          IF NEW.licence_type IS DISTINCT FROM OLD.licence_type THEN
            INSERT INTO public.billing_changes (msp_id, customer_id, field, old_value, new_value, actor)
              VALUES (NEW.msp_id, NEW.id, 'licence_type', OLD.licence_type, NEW.licence_type, who);
          END IF;
          IF NEW.removed_at IS DISTINCT FROM OLD.removed_at THEN
            INSERT INTO public.billing_changes (msp_id, customer_id, field, old_value, new_value, actor)
              VALUES (NEW.msp_id, NEW.id, 'removed', OLD.removed_at::text, NEW.removed_at::text, who);
          END IF;
          RETURN NEW;
        END $$""")
    _definer_owned("posture_log_billing_change()", definer)
    op.execute("CREATE TRIGGER customers_billing_log AFTER UPDATE OF service_tier, seat_limit, licence_type, "
               "removed_at ON public.customers FOR EACH ROW EXECUTE FUNCTION public.posture_log_billing_change()")


def _tiers(web: str, worker: str) -> None:
    op.execute(f"""
        CREATE TABLE public.service_tier_names (
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          tier text NOT NULL CHECK (tier IN {_TIERS}),
          name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 40),
          PRIMARY KEY (msp_id, tier)
        )""")
    op.execute(f"""
        CREATE TABLE public.tier_prices (
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          tier text NOT NULL CHECK (tier IN {_TIERS}),
          client_price numeric(12, 2) NOT NULL CHECK (client_price BETWEEN 0 AND 100000),
          PRIMARY KEY (msp_id, tier)
        )""")
    for name, reader in (("service_tier_names", f"({_STAFF} OR {_OPERATOR} OR {_system(web)})"),
                         ("tier_prices", _money(web))):
        _secured(name)
        op.execute(f"CREATE POLICY {name}_read ON public.{name} FOR SELECT USING ({_MSP} AND {reader})")
        for command in ("INSERT", "UPDATE", "DELETE"):
            using = "" if command == "INSERT" else f" USING ({_MSP} AND {_ADMIN})"
            check = "" if command == "DELETE" else f" WITH CHECK ({_MSP} AND {_ADMIN})"
            op.execute(f"CREATE POLICY {name}_{command.lower()} ON public.{name} FOR {command}{using}{check}")
        op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON public.{name} TO "{web}"')
        op.execute(f'GRANT SELECT ON public.{name} TO "{worker}"')


def _rate_cards(web: str, worker: str) -> None:
    op.execute(f"""
        CREATE TABLE public.rate_cards (
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          effective_from date NOT NULL CHECK (extract(day FROM effective_from) = 1),
          currency text NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
          band_floors integer[] NOT NULL,
          band_rates numeric(12, 4)[] NOT NULL,
          branding_addon numeric(12, 2) CHECK (branding_addon BETWEEN 0 AND 1000000),
          branding_split text NOT NULL DEFAULT 'user_days' CHECK (branding_split IN ('user_days', 'equal')),
          reporting_addon numeric(12, 2) CHECK (reporting_addon BETWEEN 0 AND 1000000),
          reporting_split text NOT NULL DEFAULT 'user_days' CHECK (reporting_split IN ('user_days', 'equal')),
          updated_by text NOT NULL DEFAULT {_ACTOR},
          updated_at timestamptz NOT NULL DEFAULT now(),
          CHECK (cardinality(band_floors) BETWEEN 1 AND 10 AND cardinality(band_floors) = cardinality(band_rates)),
          CHECK (band_floors[1] = 0),
          CHECK (0 <= ALL (band_rates)),
          PRIMARY KEY (msp_id, effective_from)
        )""")
    _secured("rate_cards")
    op.execute(f"CREATE POLICY rate_cards_read ON public.rate_cards FOR SELECT USING ({_MSP} AND {_money(web)})")
    for command in ("INSERT", "UPDATE"):
        using = "" if command == "INSERT" else f" USING ({_MSP} AND {_OPERATOR})"
        op.execute(f"CREATE POLICY rate_cards_{command.lower()} ON public.rate_cards FOR {command}{using} "
                   f"WITH CHECK ({_MSP} AND {_OPERATOR})")
    columns = "currency, band_floors, band_rates, branding_addon, branding_split, reporting_addon, reporting_split"
    op.execute(f"GRANT SELECT, INSERT (msp_id, effective_from, {columns}), UPDATE ({columns}, updated_by, updated_at) "
               f'ON public.rate_cards TO "{web}"')
    op.execute(f'GRANT SELECT ON public.rate_cards TO "{worker}"')


def _invoices(web: str, worker: str) -> None:
    op.execute(f"""
        CREATE TABLE public.invoices (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          period_start date NOT NULL,
          period_end date NOT NULL,
          currency text NOT NULL CHECK (currency ~ '^[A-Z]{{3}}$'),
          user_days bigint NOT NULL CHECK (user_days >= 0),
          average_users numeric(14, 4) NOT NULL,
          band_rate numeric(12, 4) NOT NULL,
          usage_total numeric(14, 2) NOT NULL,
          addons_total numeric(14, 2) NOT NULL,
          total numeric(14, 2) NOT NULL CHECK (total = usage_total + addons_total),
          rate_card jsonb NOT NULL,
          closed_by text NOT NULL DEFAULT {_ACTOR},
          closed_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (msp_id, period_start),
          UNIQUE (msp_id, id),
          CHECK (period_end > period_start)
        )""")
    op.execute("""
        CREATE TABLE public.invoice_lines (
          invoice_id uuid NOT NULL,
          msp_id uuid NOT NULL,
          customer_id uuid NOT NULL,
          customer_name text NOT NULL,
          service_tier text NOT NULL,
          days integer NOT NULL CHECK (days >= 0),
          user_days bigint NOT NULL CHECK (user_days >= 0),
          usage_amount numeric(14, 2) NOT NULL,
          addon_amount numeric(14, 2) NOT NULL,
          amount numeric(14, 2) NOT NULL CHECK (amount = usage_amount + addon_amount),
          client_amount numeric(14, 2),
          PRIMARY KEY (invoice_id, customer_id),
          FOREIGN KEY (msp_id, invoice_id) REFERENCES public.invoices (msp_id, id),
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    op.execute("""
        CREATE FUNCTION public.posture_invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is immutable once closed (% refused)', TG_TABLE_NAME, TG_OP;
        END $$""")
    for name in ("invoices", "invoice_lines"):
        _secured(name)
        op.execute(f"CREATE TRIGGER {name}_immutable BEFORE UPDATE OR DELETE ON public.{name} "
                   "FOR EACH ROW EXECUTE FUNCTION public.posture_invoice_immutable()")
        op.execute(f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON public.{name} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION public.posture_invoice_immutable()")
        op.execute(f'GRANT SELECT ON public.{name} TO "{web}"')
    op.execute(f"CREATE POLICY invoices_read ON public.invoices FOR SELECT USING ({_MSP} AND {_money(web)})")
    op.execute(f"CREATE POLICY invoice_lines_read ON public.invoice_lines FOR SELECT "
               f"USING ({_MSP} AND {_IN_SCOPE} AND {_money(web)})")
    # Closing is the workers' (no user in the scope: the grants give INSERT to them alone), and a closed
    # invoice takes no later lines: a line is accepted only in the transaction that inserted its invoice
    # (now() is the transaction's start).
    op.execute(f"CREATE POLICY invoices_close ON public.invoices FOR INSERT "
               f"WITH CHECK ({_MSP} AND {_system(web)} AND closed_at = now())")
    op.execute(f"CREATE POLICY invoice_lines_close ON public.invoice_lines FOR INSERT "
               f"WITH CHECK ({_MSP} AND {_IN_SCOPE} AND {_system(web)} AND EXISTS (SELECT FROM public.invoices i "
               "WHERE i.id = invoice_id AND i.closed_at = now()))")
    op.execute(f'GRANT SELECT, INSERT ON public.invoices, public.invoice_lines TO "{worker}"')


def downgrade() -> None:
    roles = _roles()
    web, definer = roles["web"], roles["definer"]
    for name in _TABLES:
        op.execute(f"DROP TABLE public.{name}")
    op.execute("DROP FUNCTION public.posture_invoice_immutable()")
    op.execute("DROP TRIGGER customers_billing_log ON public.customers")
    op.execute("DROP FUNCTION public.posture_log_billing_change()")
    op.execute("DROP POLICY customers_definer_terms ON public.customers")
    op.execute(f'REVOKE SELECT (service_tier, seat_limit, licence_type, removed_at, suspended_at, suspended_by), '
               f'UPDATE (service_tier, seat_limit, licence_type, removed_at, suspended_at, suspended_by) '
               f'ON public.customers FROM "{definer}"')
    op.execute(f'GRANT UPDATE (service_tier, seat_limit), INSERT (service_tier, seat_limit) '
               f'ON public.customers TO "{web}"')
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT ck_customers_seat_limit")
    op.execute("ALTER TABLE public.customers DROP COLUMN removed_at")
    op.execute("ALTER TABLE public.customers DROP COLUMN licence_type")
    op.execute("ALTER TABLE public.customers DROP CONSTRAINT ck_customers_service_tier")
    op.execute("ALTER TABLE public.customers ALTER COLUMN service_tier SET DEFAULT 'standard'")
    op.execute("DROP FUNCTION public.posture_operator_msps()")
    op.execute(f'REVOKE SELECT (slug, created_at) ON public.msps FROM "{definer}"')
    op.execute(f'REVOKE EXECUTE ON FUNCTION public.posture_scope_is_msp_admin() FROM "{roles["worker"]}"')
    op.execute("DROP FUNCTION public.posture_scope_is_operator()")
