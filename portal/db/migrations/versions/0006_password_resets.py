"""Password reset by emailed link, and sessions ended when a password changes.

``password_resets`` keeps the sha256 of each reset token, its user and expiry; the table is closed
to the login roles. A reset is requested only with the application's signature over the user, the
token hash and the expiry (``posture_request_password_reset``): an injected query that made up its
own token could otherwise reset anyone's password with it. Completing a reset
(``posture_complete_password_reset``) takes the token hash (only the mail's recipient knows the
token), is single-use, sets the new argon2id hash and ends every session and API token of the user.
``posture_change_password`` does the same for the signed-in user of the scope.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import context, op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_FUNCTIONS = (
    "posture_request_password_reset(text, bytea, bigint, text)",
    "posture_complete_password_reset(bytea, text)",
    "posture_change_password(text)",
)


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute("""
        CREATE TABLE public.password_resets (
          token_hash bytea PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          used_at timestamptz
        )""")
    op.execute("CREATE INDEX ix_password_resets_user_id ON public.password_resets (user_id)")
    op.execute("REVOKE ALL ON public.password_resets FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON public.password_resets TO "{definer}"')
    op.execute(f'GRANT UPDATE (revoked_at) ON public.api_tokens TO "{definer}"')
    op.execute(f"""
        CREATE FUNCTION public.posture_request_password_reset(
          p_email text, p_token_hash bytea, p_expires_epoch bigint, p_sig text
        ) RETURNS text
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          target uuid;
          address text;
        BEGIN
          -- The signature first: answering "no such account" to an unsigned call would tell who exists.
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(
               ARRAY['reset', lower(p_email), encode(p_token_hash, 'hex'), p_expires_epoch::text]) THEN
            RAISE EXCEPTION 'a password reset is requested only by the portal' USING ERRCODE = 'insufficient_privilege';
          END IF;
          SELECT u.id, u.email INTO target, address FROM public.users u WHERE lower(u.email) = lower(p_email);
          IF target IS NULL THEN
            RETURN NULL;  -- the caller answers the same either way
          END IF;
          -- One live link at a time: a new request retires the earlier ones.
          UPDATE public.password_resets SET used_at = now() WHERE user_id = target AND used_at IS NULL;
          INSERT INTO public.password_resets (token_hash, user_id, expires_at)
            VALUES (p_token_hash, target, to_timestamp(p_expires_epoch));
          RETURN address;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_complete_password_reset(p_token_hash bytea, p_hash text) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE target uuid;
        BEGIN
          IF p_hash IS NULL OR p_hash NOT LIKE '$argon2id$%' THEN
            RAISE EXCEPTION 'password hashes are argon2id' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE public.password_resets SET used_at = now()
            WHERE token_hash = p_token_hash AND used_at IS NULL AND expires_at > now()
            RETURNING user_id INTO target;
          IF target IS NULL THEN
            RETURN false;
          END IF;
          UPDATE public.users SET password_hash = p_hash WHERE id = target;
          UPDATE public.web_sessions SET revoked_at = now() WHERE user_id = target AND revoked_at IS NULL;
          UPDATE public.api_tokens SET revoked_at = now() WHERE user_id = target AND revoked_at IS NULL;
          RETURN true;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_change_password(p_hash text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE me uuid := public.posture_scope_user();
        BEGIN
          IF me IS NULL THEN
            RAISE EXCEPTION 'a password is changed by its own signed-in user' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_hash IS NULL OR p_hash NOT LIKE '$argon2id$%' THEN
            RAISE EXCEPTION 'password hashes are argon2id' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE public.users SET password_hash = p_hash WHERE id = me;
          UPDATE public.web_sessions SET revoked_at = now() WHERE user_id = me AND revoked_at IS NULL;
          UPDATE public.api_tokens SET revoked_at = now() WHERE user_id = me AND revoked_at IS NULL;
        END $$""")
    # The reset and change functions update users as the definer: the users policy for it needs the id.
    op.execute(f'CREATE POLICY users_definer_reset ON public.users FOR UPDATE TO "{definer}" USING (true)')
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
    op.execute("DROP POLICY users_definer_reset ON public.users")
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute("DROP TABLE public.password_resets")
