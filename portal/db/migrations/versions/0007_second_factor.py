"""A second factor at sign-in: TOTP (RFC 6238) with one-time recovery codes; MSPs may require it.

The TOTP secret is stored encrypted (AES-GCM under a key derived from the scope key, so the
database never holds it in clear) and the recovery codes as sha256 hashes; neither is readable by
the login roles. The functions:

- ``posture_totp_state``, ``posture_totp_set_pending``, ``posture_totp_enable``,
  ``posture_totp_disable`` act on the signed scope's own user (setting it up in their account page).
- ``posture_totp_for_sign_in`` and ``posture_totp_use`` serve the second step of a sign-in. They
  take the application's signature over the user and an expiry, made only after the password was
  verified, so an injected query can neither read a secret nor spend a code. ``posture_totp_use``
  refuses a time step at or before the last one used (no replay) and spends a recovery code once.
- ``posture_password_candidate`` now also says whether the user has a second factor.
- ``msps.require_totp_for_staff``: an MSP admin's switch; MSP staff without a second factor are sent
  to set one up before anything else.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import context, op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_FUNCTIONS = (
    "posture_totp_state()",
    "posture_totp_set_pending(bytea)",
    "posture_totp_enable(text[])",
    "posture_totp_disable()",
    "posture_totp_for_sign_in(uuid, bigint, text)",
    "posture_totp_use(uuid, bigint, text, bigint, text)",
    "posture_password_candidate(text)",
    "posture_staff_needs_totp(bytea)",
    "posture_set_totp_requirement(boolean)",
)
_SIGNED = """
          IF p_expires_epoch < extract(epoch FROM now()) OR p_sig IS DISTINCT FROM
             public.posture_expected_signature(ARRAY['second-factor', p_user::text, p_expires_epoch::text]) THEN
            RAISE EXCEPTION 'the second step of a sign-in comes only after the password, from the portal'
              USING ERRCODE = 'insufficient_privilege';
          END IF;"""


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute("ALTER TABLE public.users ADD COLUMN totp_secret bytea, "
               "ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false, ADD COLUMN totp_last_step bigint, "
               "ADD COLUMN recovery_codes text[] NOT NULL DEFAULT '{}'")
    op.execute("ALTER TABLE public.msps ADD COLUMN require_totp_for_staff boolean NOT NULL DEFAULT false")
    op.execute(f'GRANT SELECT (totp_secret, totp_enabled, totp_last_step, recovery_codes), '
               f'UPDATE (totp_secret, totp_enabled, totp_last_step, recovery_codes) ON public.users TO "{definer}"')
    op.execute(f'GRANT SELECT (require_totp_for_staff) ON public.msps TO "{definer}"')
    op.execute(f'GRANT UPDATE (require_totp_for_staff) ON public.msps TO "{definer}"')
    op.execute(f'CREATE POLICY msps_definer_update ON public.msps FOR UPDATE TO "{definer}" USING (true)')
    op.execute("DROP FUNCTION public.posture_password_candidate(text)")
    op.execute(f"""
        CREATE FUNCTION public.posture_password_candidate(p_email text)
        RETURNS TABLE (user_id uuid, password_hash text, totp_enabled boolean)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT u.id, u.password_hash, u.totp_enabled FROM public.users u WHERE lower(u.email) = lower(p_email)
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_totp_state() RETURNS TABLE (enabled boolean, secret bytea, recovery_left integer)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT u.totp_enabled, u.totp_secret, cardinality(u.recovery_codes)
          FROM public.users u WHERE u.id = public.posture_scope_user()
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_totp_set_pending(p_secret bytea) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          UPDATE public.users SET totp_secret = p_secret, totp_enabled = false, totp_last_step = NULL
            WHERE id = public.posture_scope_user() AND NOT totp_enabled;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'no signed-in user without a second factor' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_totp_enable(p_recovery_hashes text[]) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          UPDATE public.users SET totp_enabled = true, recovery_codes = p_recovery_hashes
            WHERE id = public.posture_scope_user() AND totp_secret IS NOT NULL AND NOT totp_enabled;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'set up a second factor first' USING ERRCODE = 'insufficient_privilege';
          END IF;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_totp_disable() RETURNS void
        LANGUAGE sql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
          UPDATE public.users
            SET totp_enabled = false, totp_secret = NULL, totp_last_step = NULL, recovery_codes = '{{}}'
            WHERE id = public.posture_scope_user();
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_totp_for_sign_in(p_user uuid, p_expires_epoch bigint, p_sig text)
        RETURNS TABLE (secret bytea, last_step bigint)
        LANGUAGE plpgsql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN{_SIGNED}
          RETURN QUERY SELECT u.totp_secret, u.totp_last_step FROM public.users u
            WHERE u.id = p_user AND u.totp_enabled;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_totp_use(
          p_user uuid, p_step bigint, p_recovery_hash text, p_expires_epoch bigint, p_sig text
        ) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN{_SIGNED}
          IF p_recovery_hash IS NOT NULL THEN
            UPDATE public.users SET recovery_codes = array_remove(recovery_codes, p_recovery_hash)
              WHERE id = p_user AND totp_enabled AND p_recovery_hash = ANY (recovery_codes);
          ELSE
            UPDATE public.users SET totp_last_step = p_step
              WHERE id = p_user AND totp_enabled AND (totp_last_step IS NULL OR p_step > totp_last_step);
          END IF;
          RETURN FOUND;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_set_totp_requirement(p_required boolean) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          -- Only an MSP admin of the scope's MSP, checked here: a grant cannot tell roles apart.
          IF NOT EXISTS (SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user()
                         AND m.msp_id = public.posture_scope_msp() AND m.role = 'msp_admin') THEN
            RAISE EXCEPTION 'only an MSP admin changes this' USING ERRCODE = 'insufficient_privilege';
          END IF;
          UPDATE public.msps SET require_totp_for_staff = p_required WHERE id = public.posture_scope_msp();
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_staff_needs_totp(p_token_hash bytea) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT EXISTS (
            SELECT FROM public.web_sessions s
            JOIN public.users u ON u.id = s.user_id
            JOIN public.memberships m ON m.user_id = u.id AND m.role IN ('msp_admin', 'msp_analyst')
            JOIN public.msps p ON p.id = m.msp_id
            WHERE s.token_hash = p_token_hash AND p.require_totp_for_staff AND NOT u.totp_enabled)
        $$""")
    for function in _FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION public.{function} TO "{web}"')
        op.execute(f"""
            DO $$ BEGIN
              ALTER FUNCTION public.{function} OWNER TO "{definer}";
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'public.{function} stays owned by %', current_user;
            END $$""")


def downgrade() -> None:
    roles = _roles()
    op.execute("DROP POLICY msps_definer_update ON public.msps")
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute(f"""
        CREATE FUNCTION public.posture_password_candidate(p_email text)
        RETURNS TABLE (user_id uuid, password_hash text)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT u.id, u.password_hash FROM public.users u WHERE lower(u.email) = lower(p_email)
        $$""")
    op.execute("REVOKE ALL ON FUNCTION public.posture_password_candidate(text) FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.posture_password_candidate(text) TO "{roles["web"]}"')
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.posture_password_candidate(text) OWNER TO "{roles['definer']}";
        EXCEPTION WHEN insufficient_privilege THEN NULL;
        END $$""")
    op.execute("ALTER TABLE public.msps DROP COLUMN require_totp_for_staff")
    op.execute("ALTER TABLE public.users DROP COLUMN totp_secret, DROP COLUMN totp_enabled, "
               "DROP COLUMN totp_last_step, DROP COLUMN recovery_codes")
