"""Gaps the route-by-route authorization matrix found, and failed sign-ins on record.

- A foreign membership id and one that does not exist now get the same answer from
  ``posture_change_member`` and ``posture_remove_member`` (one message, one error code), so a
  refused caller learns nothing of who belongs to another organisation.
- An MSP admin changes and removes a customer's users only where the MSP's access tier to that
  customer is Operate or Manage, as the one rule says (``MANAGE_CUSTOMER_USERS``) and as inviting
  already did; at Monitor the customer's own admins do it.
- A personal API token of MSP staff stops working while their MSP requires a second factor and they
  have none, as their browser session already does (``posture_api_token`` returns no row).
- An invitation is accepted by a signed-in browser's session (``posture_accept_invitation_in_session``,
  keyed on the session's token hash), not by a scope: a person who belongs to no organisation yet
  (every membership removed, or the platform operator) can join one. The scope-based
  ``posture_accept_invitation`` goes.
- Accepting an invitation (either way) is on record: ``invitation.accepted``, by the invitee.
- ``posture_record_failed_sign_in`` writes ``account.sign_in_failed`` into the audit trail of every
  organisation a known account belongs to, stamped with the email tried as the actor. The portal
  signs each call (user, address, a time within two minutes), so an injected query can neither
  forge failures into a trail nor learn which organisations an account belongs to (it returns
  nothing). A failed sign-in with an unknown email belongs to no organisation: it is logged only.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import context, op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SEARCH_PATH = "SET search_path = pg_catalog, public, pg_temp"
_REFUSED = ("RAISE EXCEPTION 'no such member in your organisation, or not one you may change' "
            "USING ERRCODE = 'insufficient_privilege';")


def _authority(refusal: str) -> str:
    return f"""
          SELECT * INTO target FROM public.memberships WHERE id = p_membership;
          IF target.id IS NULL OR NOT EXISTS (
               SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user()
               AND m.msp_id = target.msp_id
               AND ((m.role = 'msp_admin' AND (target.customer_id IS NULL OR EXISTS (
                       SELECT FROM public.customers c WHERE c.id = target.customer_id AND c.access_tier <> 'monitor')))
                    OR (target.customer_id IS NOT NULL AND m.role = 'customer_admin'
                        AND m.customer_id = target.customer_id))) THEN
            {refusal}
          END IF;"""


_LAST_ADMIN = """
          IF target.role = 'msp_admin' AND NOT EXISTS (
               SELECT FROM public.memberships m WHERE m.msp_id = target.msp_id AND m.role = 'msp_admin'
               AND m.id <> target.id) THEN
            RAISE EXCEPTION 'an MSP keeps at least one admin' USING ERRCODE = 'check_violation';
          END IF;"""
#: Revision 0009's check, written out again for the downgrade: migrations never import each other.
_OLD_AUTHORITY = """
          SELECT * INTO target FROM public.memberships WHERE id = p_membership;
          IF target.id IS NULL THEN
            RAISE EXCEPTION 'no such member' USING ERRCODE = 'no_data_found';
          END IF;
          IF NOT EXISTS (SELECT FROM public.memberships m WHERE m.user_id = public.posture_scope_user()
                         AND m.msp_id = target.msp_id
                         AND (m.role = 'msp_admin' OR (target.customer_id IS NOT NULL AND m.role = 'customer_admin'
                                                       AND m.customer_id = target.customer_id))) THEN
            RAISE EXCEPTION 'only an MSP admin (or the customer''s admin, for its users) changes members'
              USING ERRCODE = 'insufficient_privilege';
          END IF;"""


#: On record in the organisation joined, by the invitee (``before`` holds app.actor to put back).
_ACCEPTED = """
          PERFORM set_config('app.actor', invite.email, true);
          INSERT INTO public.audit_events (msp_id, customer_id, action, target, details)
            VALUES (invite.msp_id, invite.customer_id, 'invitation.accepted', 'invitation:' || invite.id,
                    jsonb_build_object('role', invite.role, 'user', invite.accepted_by));
          PERFORM set_config('app.actor', coalesce(before, ''), true);"""


def _accept_new(on_record: str) -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_accept_invitation_new(
          p_token_hash bytea, p_display_name text, p_hash text) RETURNS uuid
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          invite public.invitations;
          made uuid := gen_random_uuid();
          before text := current_setting('app.actor', true);
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
            SELECT gen_random_uuid(), made, invite.msp_id, invite.customer_id, invite.role, invite.tags;{on_record}
          RETURN made;
        END $$""")


def _accept_existing(me: str, signature: str, on_record: str) -> None:
    op.execute(f"""
        CREATE FUNCTION public.{signature} RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          me uuid := {me};
          invite public.invitations;
          before text := current_setting('app.actor', true);
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
                              AND m.customer_id IS NOT DISTINCT FROM invite.customer_id);{on_record}
          RETURN true;
        END $$""")


_IN_SESSION = "posture_accept_invitation_in_session(p_token_hash bytea, p_session_hash bytea)"
_SESSION_USER = ("(SELECT s.user_id FROM public.web_sessions s WHERE s.token_hash = p_session_hash "
                 "AND s.revoked_at IS NULL AND s.expires_at > now())")
_IN_SCOPE = "posture_accept_invitation(p_token_hash bytea)"


def _grant(definer: str, web: str, function: str) -> None:
    op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION public.{function} TO "{web}"')
    op.execute(f"""
        DO $$ BEGIN
          ALTER FUNCTION public.{function} OWNER TO "{definer}";
        EXCEPTION WHEN insufficient_privilege THEN
          RAISE NOTICE 'public.{function} stays owned by %', current_user;
        END $$""")


def _roles() -> dict[str, str]:
    given = context.config.attributes.get("roles") or {}
    return {kind: given.get(kind, f"posture_{kind}") for kind in ("web", "worker", "definer")}


def _member_functions(authority: str) -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_change_member(p_membership uuid, p_role public.role, p_tags text[])
        RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE target public.memberships;
        BEGIN{authority}
          IF (p_role IN ('msp_admin', 'msp_analyst')) <> (target.customer_id IS NULL) THEN
            RAISE EXCEPTION 'a membership keeps its kind: MSP roles for the MSP, customer roles for a customer'
              USING ERRCODE = 'check_violation';
          END IF;
          IF p_role <> 'msp_admin' THEN{_LAST_ADMIN}
          END IF;
          UPDATE public.memberships SET role = p_role,
            tags = CASE WHEN p_role = 'msp_analyst' THEN coalesce(p_tags, '{{}}') ELSE '{{}}' END
            WHERE id = p_membership;
        END $$""")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_remove_member(p_membership uuid) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE target public.memberships;
        BEGIN{authority}{_LAST_ADMIN}
          DELETE FROM public.memberships WHERE id = p_membership;
        END $$""")


def _token_function(totp_rule: str) -> None:
    op.execute(f"""
        CREATE OR REPLACE FUNCTION public.posture_api_token(p_token_hash bytea)
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
            WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND t.expires_at > now(){totp_rule};
        END $$""")


# The same rule as posture_staff_needs_totp (0007): staff of any MSP that requires it, without one.
_TOTP_RULE = """
              AND (u.totp_enabled OR NOT EXISTS (
                SELECT FROM public.memberships s JOIN public.msps r ON r.id = s.msp_id
                WHERE s.user_id = u.id AND s.role IN ('msp_admin', 'msp_analyst') AND r.require_totp_for_staff))"""


def upgrade() -> None:
    roles = _roles()
    definer, web = roles["definer"], roles["web"]
    op.execute(f'GRANT SELECT (access_tier) ON public.customers TO "{definer}"')
    _member_functions(_authority(_REFUSED))
    _token_function(_TOTP_RULE)
    op.execute(f'GRANT INSERT (msp_id, customer_id, action, target, details) ON public.audit_events TO "{definer}"')
    op.execute(f'CREATE POLICY audit_events_definer_insert ON public.audit_events FOR INSERT TO "{definer}" '
               "WITH CHECK (true)")
    op.execute(f"""
        CREATE FUNCTION public.posture_record_failed_sign_in(
          p_user uuid, p_address text, p_step text, p_epoch bigint, p_sig text) RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER {_SEARCH_PATH} AS $$
        DECLARE
          who text;
          before text := current_setting('app.actor', true);
        BEGIN
          IF abs(extract(epoch FROM now()) - p_epoch) > 120 OR p_sig IS DISTINCT FROM
             public.posture_expected_signature(ARRAY['failed-sign-in', p_user::text, p_address, p_step,
                                                     p_epoch::text]) THEN
            RAISE EXCEPTION 'failed sign-ins are recorded by the portal only' USING ERRCODE = 'insufficient_privilege';
          END IF;
          SELECT email INTO who FROM public.users WHERE id = p_user;
          IF who IS NULL THEN
            RETURN;
          END IF;
          -- The audit trigger stamps app.actor: the email tried, for these rows only.
          PERFORM set_config('app.actor', who, true);
          INSERT INTO public.audit_events (msp_id, customer_id, action, target, details)
            SELECT m.msp_id, m.customer_id, 'account.sign_in_failed', 'user:' || p_user,
                   jsonb_build_object('address', p_address, 'step', p_step)
            FROM public.memberships m WHERE m.user_id = p_user;
          PERFORM set_config('app.actor', coalesce(before, ''), true);
        END $$""")
    _grant(definer, web, "posture_record_failed_sign_in(uuid, text, text, bigint, text)")
    _accept_new(_ACCEPTED)
    op.execute("DROP FUNCTION public.posture_accept_invitation(bytea)")
    _accept_existing(_SESSION_USER, _IN_SESSION, _ACCEPTED)
    _grant(definer, web, "posture_accept_invitation_in_session(bytea, bytea)")


def downgrade() -> None:
    roles = _roles()
    op.execute("DROP FUNCTION public.posture_accept_invitation_in_session(bytea, bytea)")
    _accept_existing("public.posture_scope_user()", _IN_SCOPE, "")
    _grant(roles["definer"], roles["web"], "posture_accept_invitation(bytea)")
    _accept_new("")
    op.execute("DROP FUNCTION public.posture_record_failed_sign_in(uuid, text, text, bigint, text)")
    op.execute("DROP POLICY audit_events_definer_insert ON public.audit_events")
    op.execute(f'REVOKE INSERT ON public.audit_events FROM "{roles["definer"]}"')
    _token_function("")
    _member_functions(_OLD_AUTHORITY)
    op.execute(f'REVOKE SELECT (access_tier) ON public.customers FROM "{roles["definer"]}"')
