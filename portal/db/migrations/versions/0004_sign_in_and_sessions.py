"""Sign-in and server-side sessions, behind definer functions the portal's role may only call.

Nobody is signed in when a sign-in or a session lookup happens, so there is no scope to check yet;
the tables are therefore closed to the login roles, and a few definer functions do the work, each
keyed on what an injected query cannot know:

- ``web_sessions`` holds the sha256 of each session token (the cookie holds the token), its user,
  expiry and revocation. ``posture_create_session`` inserts one only with a signature made with the
  scope key (the application vouches that it checked the password: the database cannot run
  argon2id), so an injected query cannot mint a session for someone. ``posture_session_user`` and
  ``posture_session_memberships`` answer for a token hash, which only the cookie's holder knows.
- ``sign_in_failures`` counts failed sign-ins per key (an account at an address, an address) for
  throttling; ``posture_sign_in_wait_s`` says how long a key must wait.
- ``posture_password_candidate`` gives the portal the argon2id hash to verify. The hash alone is not
  enough to guess a password offline: passwords are hashed with a pepper derived from the scope key
  (``portal.services.accounts._passwords``), which the database never holds in usable form.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import context, op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_FUNCTIONS = (
    "posture_password_candidate(text)",
    "posture_sign_in_wait_s(text[], integer[], integer)",
    "posture_record_sign_in_failure(text[], text)",
    "posture_clear_sign_in_failures(text[], text)",
    "posture_create_session(uuid, bytea, bigint, text, text)",
    "posture_session_user(bytea)",
    "posture_session_memberships(bytea)",
    "posture_revoke_session(bytea)",
    "posture_revoke_user_sessions(uuid)",
)


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute("""
        CREATE TABLE public.web_sessions (
          token_hash bytea PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_seen_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          revoked_at timestamptz,
          address text
        )""")
    op.execute("CREATE INDEX ix_web_sessions_user_id ON public.web_sessions (user_id)")
    op.execute("""
        CREATE TABLE public.sign_in_failures (
          key text NOT NULL,
          at timestamptz NOT NULL DEFAULT now()
        )""")
    op.execute("CREATE INDEX ix_sign_in_failures_key_at ON public.sign_in_failures (key, at)")
    for table in ("web_sessions", "sign_in_failures"):
        op.execute(f"REVOKE ALL ON public.{table} FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON public.web_sessions TO "{definer}"')
    op.execute(f'GRANT SELECT, INSERT, DELETE ON public.sign_in_failures TO "{definer}"')
    # A session's organisations span MSPs, before any scope exists: the definer reads them, by token only.
    op.execute(f'GRANT SELECT (id, name) ON public.msps TO "{definer}"')
    op.execute(f'GRANT SELECT (id, msp_id, name) ON public.customers TO "{definer}"')
    op.execute(f'GRANT SELECT (display_name, created_at) ON public.users TO "{definer}"')
    op.execute(f'CREATE POLICY customers_definer ON public.customers FOR SELECT TO "{definer}" USING (true)')
    op.execute(f'CREATE POLICY memberships_definer ON public.memberships FOR SELECT TO "{definer}" USING (true)')

    op.execute(f"""
        CREATE FUNCTION public.posture_password_candidate(p_email text)
        RETURNS TABLE (user_id uuid, password_hash text)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT u.id, u.password_hash FROM public.users u WHERE lower(u.email) = lower(p_email)
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_sign_in_wait_s(p_keys text[], p_limits integer[], p_window_s integer)
        RETURNS integer
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          -- For each key over its limit within the window: the seconds until its oldest counted failure
          -- leaves the window. Never more than the window: nobody is locked out for good.
          SELECT coalesce(max(ceil(extract(epoch FROM (w.oldest + make_interval(secs => p_window_s) - now())))::int), 0)
          FROM unnest(p_keys, p_limits) AS k(key, lim)
          CROSS JOIN LATERAL (
            SELECT min(at) AS oldest, count(*) AS n FROM (
              SELECT f.at FROM public.sign_in_failures f
              WHERE f.key = k.key AND f.at > now() - make_interval(secs => p_window_s)
              ORDER BY f.at DESC LIMIT k.lim
            ) recent
          ) w
          WHERE w.n >= k.lim
        $$""")
    # Counting and clearing take the application's signature over the keys: an injected query could
    # otherwise lock anyone out (count failures on their keys) or wipe its own count.
    op.execute(f"""
        CREATE FUNCTION public.posture_record_sign_in_failure(p_keys text[], p_sig text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(ARRAY['throttle-count'] || p_keys) THEN
            RAISE EXCEPTION 'sign-in failures are counted only by the portal' USING ERRCODE = 'insufficient_privilege';
          END IF;
          DELETE FROM public.sign_in_failures WHERE at < now() - interval '1 day';
          INSERT INTO public.sign_in_failures (key) SELECT unnest(p_keys);
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_clear_sign_in_failures(p_keys text[], p_sig text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(ARRAY['throttle-clear'] || p_keys) THEN
            RAISE EXCEPTION 'sign-in failures are cleared only by the portal' USING ERRCODE = 'insufficient_privilege';
          END IF;
          DELETE FROM public.sign_in_failures WHERE key = ANY (p_keys);
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_create_session(
          p_user uuid, p_token_hash bytea, p_expires_epoch bigint, p_address text, p_sig text
        ) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(
               ARRAY['session', p_user::text, encode(p_token_hash, 'hex'), p_expires_epoch::text]) THEN
            RAISE EXCEPTION 'a session is created only by the portal, after a verified sign-in'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          INSERT INTO public.web_sessions (token_hash, user_id, expires_at, address)
            VALUES (p_token_hash, p_user, to_timestamp(p_expires_epoch), p_address);
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_session_user(p_token_hash bytea)
        RETURNS TABLE (user_id uuid, email text, display_name text, is_platform_operator boolean,
                       expires_at timestamptz)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          -- Seen now, at most once a minute: one write per request would be a write per page view.
          UPDATE public.web_sessions s SET last_seen_at = now()
            WHERE s.token_hash = p_token_hash AND s.last_seen_at < now() - interval '1 minute';
          RETURN QUERY
            SELECT u.id, u.email::text, u.display_name::text, u.is_platform_operator, s.expires_at
            FROM public.web_sessions s JOIN public.users u ON u.id = s.user_id
            WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now();
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_session_memberships(p_token_hash bytea)
        RETURNS TABLE (msp_id uuid, msp_name text, customer_id uuid, customer_name text, role public.role,
                       tags text[])
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT m.msp_id, p.name::text, m.customer_id, c.name::text, m.role, m.tags::text[]
          FROM public.web_sessions s
          JOIN public.memberships m ON m.user_id = s.user_id
          JOIN public.msps p ON p.id = m.msp_id
          LEFT JOIN public.customers c ON c.id = m.customer_id
          WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
          ORDER BY p.name, c.name NULLS FIRST
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_revoke_session(p_token_hash bytea) RETURNS void
        LANGUAGE sql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
          UPDATE public.web_sessions SET revoked_at = now() WHERE token_hash = p_token_hash AND revoked_at IS NULL;
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_revoke_user_sessions(p_user uuid) RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE revoked integer;
        BEGIN
          IF p_user IS DISTINCT FROM public.posture_scope_user() THEN
            RAISE EXCEPTION 'sessions are revoked by their own user' USING ERRCODE = 'insufficient_privilege';
          END IF;
          UPDATE public.web_sessions SET revoked_at = now() WHERE user_id = p_user AND revoked_at IS NULL;
          GET DIAGNOSTICS revoked = ROW_COUNT;
          RETURN revoked;
        END $$""")
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
    definer = _roles()["definer"]
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute("DROP POLICY memberships_definer ON public.memberships")
    op.execute("DROP POLICY customers_definer ON public.customers")
    op.execute(f'REVOKE SELECT (id, msp_id, name) ON public.customers FROM "{definer}"')
    op.execute(f'REVOKE SELECT (name) ON public.msps FROM "{definer}"')
    op.execute(f'REVOKE SELECT (display_name, created_at) ON public.users FROM "{definer}"')
    op.execute("DROP TABLE public.sign_in_failures")
    op.execute("DROP TABLE public.web_sessions")
