"""Personal API tokens for ``/api/v1``: hashed at rest, read or read-write, expiring, revocable.

A token belongs to its user and to the organisation (MSP, or MSP and customer) it was made in; it
acts with that membership's rights, never more, and stops working when the membership goes. Like
sessions, the table is closed to the login roles:

- ``posture_create_api_token`` is called inside a signed scope and takes the user and the MSP from it,
  and checks the user holds the membership named, so a token can only be made by its own user, in
  an organisation they belong to, for at most a year.
- ``posture_api_token`` answers for a token hash (which only the token's holder can compute) with the
  user and the membership it acts as, and records when it was last used.
- ``posture_my_api_tokens`` and ``posture_revoke_api_token`` work on the scope's own user's tokens.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import context, op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
#: Revision 0002's policy, written out again: migrations never import each other.
SCOPE_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
              "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")
_FUNCTIONS = (
    "posture_create_api_token(bytea, text, boolean, bigint, uuid)",
    "posture_api_token(bytea)",
    "posture_my_api_tokens()",
    "posture_revoke_api_token(uuid)",
)


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute("""
        CREATE TABLE public.api_tokens (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          token_hash bytea NOT NULL UNIQUE,
          user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid,
          name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
          read_write boolean NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          last_used_at timestamptz,
          revoked_at timestamptz,
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id)
        )""")
    op.execute("CREATE INDEX ix_api_tokens_user_id ON public.api_tokens (user_id)")
    op.execute("REVOKE ALL ON public.api_tokens FROM PUBLIC")
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON public.api_tokens TO "{definer}"')
    # Customer-owned (it names a customer): under row-level security like every such table. Only the
    # definer works on it, by token hash or for the scope's own user (the functions below).
    op.execute("ALTER TABLE public.api_tokens ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.api_tokens FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY api_tokens_scope ON public.api_tokens USING ({SCOPE_RULE}) WITH CHECK ({SCOPE_RULE})")
    op.execute(f'CREATE POLICY api_tokens_definer ON public.api_tokens TO "{definer}" USING (true) WITH CHECK (true)')

    op.execute(f"""
        CREATE FUNCTION public.posture_create_api_token(
          p_token_hash bytea, p_name text, p_read_write boolean, p_expires_epoch bigint, p_customer_id uuid
        ) RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          me uuid := public.posture_scope_user();
          msp uuid := public.posture_scope_msp();
          customer uuid := p_customer_id;  -- NULL: the MSP-wide membership
          made uuid;
        BEGIN
          IF me IS NULL THEN
            RAISE EXCEPTION 'a token is made by a signed-in user for themselves'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF NOT EXISTS (SELECT FROM public.memberships m WHERE m.user_id = me AND m.msp_id = msp
                         AND m.customer_id IS NOT DISTINCT FROM customer) THEN
            RAISE EXCEPTION 'no such membership for this user' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF to_timestamp(p_expires_epoch) <= now() OR to_timestamp(p_expires_epoch) > now() + interval '366 days' THEN
            RAISE EXCEPTION 'a token expires within a year' USING ERRCODE = 'check_violation';
          END IF;
          INSERT INTO public.api_tokens (token_hash, user_id, msp_id, customer_id, name, read_write, expires_at)
            VALUES (p_token_hash, me, msp, customer, p_name, p_read_write, to_timestamp(p_expires_epoch))
            RETURNING id INTO made;
          RETURN made;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_api_token(p_token_hash bytea)
        RETURNS TABLE (token_id uuid, user_id uuid, email text, display_name text, read_write boolean,
                       msp_id uuid, msp_name text, customer_id uuid, customer_name text, role public.role,
                       tags text[])
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          UPDATE public.api_tokens t SET last_used_at = now()
            WHERE t.token_hash = p_token_hash
              AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute');
          RETURN QUERY
            SELECT t.id, u.id, u.email::text, u.display_name::text, t.read_write, t.msp_id, p.name::text,
                   t.customer_id, c.name::text, m.role, m.tags::text[]
            FROM public.api_tokens t
            JOIN public.users u ON u.id = t.user_id
            JOIN public.memberships m ON m.user_id = t.user_id AND m.msp_id = t.msp_id
                                     AND m.customer_id IS NOT DISTINCT FROM t.customer_id
            JOIN public.msps p ON p.id = t.msp_id
            LEFT JOIN public.customers c ON c.id = t.customer_id
            WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND t.expires_at > now();
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_my_api_tokens()
        RETURNS TABLE (id uuid, name text, read_write boolean, msp_id uuid, customer_id uuid, created_at timestamptz,
                       expires_at timestamptz, last_used_at timestamptz, revoked_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT t.id, t.name, t.read_write, t.msp_id, t.customer_id, t.created_at, t.expires_at, t.last_used_at,
                 t.revoked_at
          FROM public.api_tokens t WHERE t.user_id = public.posture_scope_user() ORDER BY t.created_at DESC
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_revoke_api_token(p_id uuid) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        BEGIN
          UPDATE public.api_tokens SET revoked_at = now()
            WHERE id = p_id AND user_id = public.posture_scope_user() AND revoked_at IS NULL;
          RETURN FOUND;
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
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute("DROP TABLE public.api_tokens")
