"""Cheaper scope checks and scan rows without redundant keys: the same promises, fewer microseconds.

Every statement on a customer-owned table runs its policy's sub-selects once, and each of them checks
the transaction's signed scope again (``posture_scope_msp()``; see 0002). Measured on the recording of
one scan (issue 14), that check was about a third of the time of a one-row statement, because:

- ``posture_expected_signature`` is a SQL function with ``SECURITY DEFINER``: PostgreSQL never inlines
  such a function and plans its body again at every call;
- ``posture_scope_customers()`` and ``posture_scope_user()`` are SQL functions with a ``SET`` clause, so
  they too are planned at every call, around the check they make.

Here the three functions become PL/pgSQL (plans cached for the session), and ``posture_scope_msp()``
computes the signature itself instead of calling out for it. The signed fields, their encoding (each
length-prefixed, 4 bytes big-endian, UTF-8), the key, ``sha256(k || sha256(k || m))``, the error, its
code and its hint are exactly those of 0002, so every scope signed before still passes and every
forged one is refused as before; ``posture_expected_signature`` stays for the other signatures.
Each function still checks the signature itself: a policy's sub-selects run lazily, and a statement
could change the settings between them.

The scan's children (``check_results``, ``latest_results``, ``score_history``) each had three foreign
keys: to the customer ``(msp_id, customer_id)``, to the MSP ``(msp_id)`` and to the scan
``(msp_id, customer_id, scan_id)``. The scan's key implies the other two (every column is NOT NULL,
and ``scans`` has its own keys to the customer and the MSP), so they checked again, row by row, what
was already certain: 208 extra lookups for one scan's check results. They go; the scan's key stays.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_SCAN_CHILDREN = ("check_results", "latest_results", "score_history")
_REFUSAL = """RAISE EXCEPTION 'the transaction scope is not signed with this database''s scope key'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'scopes are set by the unit of work; check POSTURE_SCOPE_KEY matches posture migrate';"""


def upgrade() -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_scope_msp() RETURNS uuid
        LANGUAGE plpgsql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          sig text := current_setting('app.scope_sig', true);
          msp text;
          key bytea;
          message bytea := ''::bytea;
          field text;
          bytes bytea;
        BEGIN
          IF sig IS NULL OR sig = '' THEN
            RETURN NULL;
          END IF;
          msp := coalesce(current_setting('app.msp_id', true), '');
          SELECT s.value INTO key FROM public.posture_secrets s WHERE s.name = 'scope_key';
          -- The encoding of posture_expected_signature: each field length-prefixed, so no value can
          -- pass for another split of the same text.
          FOREACH field IN ARRAY ARRAY['scope', msp, coalesce(current_setting('app.customer_ids', true), ''),
              coalesce(current_setting('app.user_id', true), ''), coalesce(current_setting('app.actor', true), ''),
              pg_backend_pid()::text] LOOP
            bytes := convert_to(field, 'UTF8');
            message := message || int4send(octet_length(bytes)) || bytes;
          END LOOP;
          IF key IS NULL OR sig <> encode(sha256(key || sha256(key || message)), 'hex') THEN
            {_REFUSAL}
          END IF;
          RETURN NULLIF(msp, '')::uuid;
        END $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_scope_customers() RETURNS uuid[]
        LANGUAGE plpgsql STABLE {_SEARCH_PATH} AS $$
        BEGIN
          -- Checked again here, not only in posture_scope_msp(): the two are separate sub-selects of a
          -- policy, run lazily, and a statement could change the settings between them.
          IF public.posture_scope_msp() IS NULL THEN
            RETURN '{{}}'::uuid[];
          END IF;
          IF current_setting('app.customer_ids', true) = '*' THEN
            RETURN NULL;
          END IF;
          RETURN coalesce(NULLIF(current_setting('app.customer_ids', true), '')::uuid[], '{{}}'::uuid[]);
        END $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_scope_user() RETURNS uuid
        LANGUAGE plpgsql STABLE {_SEARCH_PATH} AS $$
        BEGIN
          IF public.posture_scope_msp() IS NULL THEN
            RETURN NULL;
          END IF;
          RETURN NULLIF(current_setting('app.user_id', true), '')::uuid;
        END $$""")
    for table in _SCAN_CHILDREN:
        op.execute(f"ALTER TABLE public.{table} DROP CONSTRAINT {table}_msp_customer_fkey")
        op.execute(f"ALTER TABLE public.{table} DROP CONSTRAINT {table}_msp_id_fkey")


def downgrade() -> None:
    for table in _SCAN_CHILDREN:
        op.execute(f"ALTER TABLE public.{table} ADD CONSTRAINT {table}_msp_customer_fkey "
                   "FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)")
        op.execute(f"ALTER TABLE public.{table} ADD CONSTRAINT {table}_msp_id_fkey "
                   "FOREIGN KEY (msp_id) REFERENCES public.msps (id)")
    # The bodies of 0002, as they were (CREATE OR REPLACE keeps each function's owner and grants).
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_scope_msp() RETURNS uuid
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
            {_REFUSAL}
          END IF;
          RETURN NULLIF(current_setting('app.msp_id', true), '')::uuid;
        END $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_scope_customers() RETURNS uuid[]
        LANGUAGE sql STABLE {_SEARCH_PATH} AS $$
          SELECT CASE WHEN public.posture_scope_msp() IS NULL THEN '{{}}'::uuid[]
                      WHEN current_setting('app.customer_ids', true) = '*' THEN NULL
                      ELSE coalesce(NULLIF(current_setting('app.customer_ids', true), '')::uuid[], '{{}}'::uuid[])
                 END
        $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_scope_user() RETURNS uuid
        LANGUAGE sql STABLE {_SEARCH_PATH} AS $$
          SELECT CASE WHEN public.posture_scope_msp() IS NOT NULL
                      THEN NULLIF(current_setting('app.user_id', true), '')::uuid END
        $$""")
