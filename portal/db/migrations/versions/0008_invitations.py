"""Invitations: the one way a person joins an organisation, by accepting a mailed, single-use link.

An invitation names an email, an MSP, optionally a customer, a role and tags; it is made in a signed
scope by the portal (the service checks the inviter's right first), with the application's
signature over its token hash, so an injected query cannot make a link it knows. The invited person
accepts it:

- with no account yet (``posture_accept_invitation_new``): a user is made with the invitation's email
  and the chosen password hash, with the membership; keyed on the token hash only the mail's
  recipient knows;
- with an account (``posture_accept_invitation``): signed in as the user whose email the invitation
  names, in a signed scope; nobody can attach someone else's account.

Either way the invitation is spent, and an expired one does nothing.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import context, op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_FUNCTIONS = (
    "posture_create_invitation(bytea, text, public.role, uuid, text[], bigint, text)",
    "posture_invitation(bytea)",
    "posture_accept_invitation_new(bytea, text, text)",
    "posture_accept_invitation(bytea)",
)
#: Revision 0002's policy, written out again: migrations never import each other.
SCOPE_RULE = ("msp_id = (SELECT public.posture_scope_msp()) AND ((SELECT public.posture_scope_customers()) IS NULL "
              "OR customer_id = ANY (CAST((SELECT public.posture_scope_customers()) AS uuid[])))")


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute("""
        CREATE TABLE public.invitations (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          token_hash bytea NOT NULL UNIQUE,
          msp_id uuid NOT NULL REFERENCES public.msps (id),
          customer_id uuid,
          email text NOT NULL,
          role public.role NOT NULL,
          tags text[] NOT NULL DEFAULT '{}',
          invited_by text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          accepted_at timestamptz,
          accepted_by uuid,
          FOREIGN KEY (msp_id, customer_id) REFERENCES public.customers (msp_id, id),
          CHECK ((role IN ('msp_admin', 'msp_analyst')) = (customer_id IS NULL))
        )""")
    op.execute("ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE public.invitations FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY invitations_scope ON public.invitations USING ({SCOPE_RULE}) WITH CHECK ({SCOPE_RULE})")
    op.execute(f'CREATE POLICY invitations_definer ON public.invitations TO "{definer}" USING (true) WITH CHECK (true)')
    op.execute("REVOKE ALL ON public.invitations FROM PUBLIC")
    op.execute(f'GRANT SELECT (id, msp_id, customer_id, email, role, tags, invited_by, created_at, expires_at, '
               f'accepted_at) ON public.invitations TO "{web}"')
    op.execute(f'GRANT SELECT, INSERT, UPDATE ON public.invitations TO "{definer}"')

    op.execute(f"""
        CREATE FUNCTION public.posture_create_invitation(
          p_token_hash bytea, p_email text, p_role public.role, p_customer uuid, p_tags text[], p_expires_epoch bigint,
          p_sig text
        ) RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          msp uuid := public.posture_scope_msp();
          made uuid;
        BEGIN
          IF msp IS NULL OR public.posture_scope_user() IS NULL THEN
            RAISE EXCEPTION 'an invitation is made by a signed-in user' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_sig IS DISTINCT FROM public.posture_expected_signature(
               ARRAY['invitation', msp::text, encode(p_token_hash, 'hex'), lower(p_email), p_expires_epoch::text]) THEN
            RAISE EXCEPTION 'an invitation is made only by the portal' USING ERRCODE = 'insufficient_privilege';
          END IF;
          INSERT INTO public.invitations (token_hash, msp_id, customer_id, email, role, tags, invited_by, expires_at)
            VALUES (p_token_hash, msp, p_customer, lower(p_email), p_role, coalesce(p_tags, '{{}}'),
                    current_setting('app.actor', true), to_timestamp(p_expires_epoch))
            RETURNING id INTO made;
          RETURN made;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_invitation(p_token_hash bytea)
        RETURNS TABLE (email text, role public.role, msp_name text, customer_name text, account_exists boolean)
        LANGUAGE sql STABLE SECURITY DEFINER {_SEARCH_PATH} AS $$
          SELECT i.email, i.role, p.name::text, c.name::text,
                 EXISTS (SELECT FROM public.users u WHERE lower(u.email) = i.email)
          FROM public.invitations i JOIN public.msps p ON p.id = i.msp_id
          LEFT JOIN public.customers c ON c.id = i.customer_id
          WHERE i.token_hash = p_token_hash AND i.accepted_at IS NULL AND i.expires_at > now()
        $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_accept_invitation_new(p_token_hash bytea, p_display_name text, p_hash text)
        RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          invite public.invitations;
          made uuid := gen_random_uuid();
        BEGIN
          IF p_hash IS NULL OR p_hash NOT LIKE '$argon2id$%' THEN
            RAISE EXCEPTION 'password hashes are argon2id' USING ERRCODE = 'check_violation';
          END IF;
          UPDATE public.invitations SET accepted_at = now(), accepted_by = made
            WHERE token_hash = p_token_hash AND accepted_at IS NULL AND expires_at > now()
            RETURNING * INTO invite;
          IF invite.id IS NULL THEN
            RETURN NULL;
          END IF;
          IF EXISTS (SELECT FROM public.users u WHERE lower(u.email) = invite.email) THEN
            RAISE EXCEPTION 'an account with this email exists: sign in to accept' USING ERRCODE = 'unique_violation';
          END IF;
          INSERT INTO public.users (id, email, display_name) VALUES (made, invite.email, p_display_name);
          UPDATE public.users SET password_hash = p_hash WHERE id = made;
          INSERT INTO public.memberships (id, user_id, msp_id, customer_id, role, tags)
            SELECT gen_random_uuid(), made, invite.msp_id, invite.customer_id, invite.role, invite.tags;
          RETURN made;
        END $$""")
    op.execute(f"""
        CREATE FUNCTION public.posture_accept_invitation(p_token_hash bytea) RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          me uuid := public.posture_scope_user();
          invite public.invitations;
        BEGIN
          IF me IS NULL THEN
            RAISE EXCEPTION 'sign in to accept an invitation' USING ERRCODE = 'insufficient_privilege';
          END IF;
          UPDATE public.invitations i SET accepted_at = now(), accepted_by = me
            FROM public.users u
            WHERE i.token_hash = p_token_hash AND i.accepted_at IS NULL AND i.expires_at > now()
              AND u.id = me AND lower(u.email) = i.email
            RETURNING i.* INTO invite;
          IF invite.id IS NULL THEN
            RETURN false;
          END IF;
          INSERT INTO public.memberships (id, user_id, msp_id, customer_id, role, tags)
            SELECT gen_random_uuid(), me, invite.msp_id, invite.customer_id, invite.role, invite.tags
            WHERE NOT EXISTS (SELECT FROM public.memberships m WHERE m.user_id = me AND m.msp_id = invite.msp_id
                              AND m.customer_id IS NOT DISTINCT FROM invite.customer_id);
          RETURN true;
        END $$""")
    # The accepting request has no scope (a new user) or the invitee's own: the membership is allowed
    # only as the copy of an invitation to this very user, accepted in this very transaction.
    # (It names the accepting user through accepted_by, not users: a policy on memberships that reads
    # users would recurse, users' own policy reading memberships.)
    op.execute(f'CREATE POLICY memberships_definer_insert ON public.memberships FOR INSERT TO "{definer}" '
               "WITH CHECK (EXISTS (SELECT FROM public.invitations i WHERE i.accepted_by = memberships.user_id "
               "AND i.msp_id = memberships.msp_id AND i.role = memberships.role "
               "AND i.customer_id IS NOT DISTINCT FROM memberships.customer_id AND i.accepted_at = now()))")
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
    op.execute("DROP POLICY memberships_definer_insert ON public.memberships")
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute("DROP TABLE public.invitations")
