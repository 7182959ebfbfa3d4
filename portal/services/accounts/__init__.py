"""Accounts: who may do what (the authorization rule), passwords, sign-in and sessions."""

from portal.services.accounts._access import Action, CustomerAccess, MembershipView, may, visible_customers
from portal.services.accounts._invitations import (
    Invitation,
    accept_invitation,
    accept_invitation_as_new_user,
    invitation,
    invite,
)
from portal.services.accounts._msp_security import require_second_factor_for_staff, second_factor_required_for_staff
from portal.services.accounts._passwords import Passwords
from portal.services.accounts._resets import (
    MIN_PASSWORD_LENGTH,
    change_password,
    complete_password_reset,
    request_password_reset,
)
from portal.services.accounts._scope import scope_for
from portal.services.accounts._second_factor import (
    begin_totp,
    complete_second_factor,
    confirm_totp,
    staff_needs_second_factor,
    totp_enabled,
)
from portal.services.accounts._sessions import (
    SESSION_LIFETIME,
    InvalidCredentials,
    Organisation,
    SecondFactorRequired,
    SignedIn,
    SignInThrottled,
    current_session,
    sign_in,
    sign_out,
)
from portal.services.accounts._team import (
    Member,
    PendingInvitation,
    change_member,
    members,
    pending_invitations,
    remove_member,
)
from portal.services.accounts._tokens import (
    MAX_TOKEN_DAYS,
    TOKEN_PREFIX,
    TokenCaller,
    TokenInfo,
    create_token,
    list_tokens,
    revoke_token,
    token_caller,
)

__all__ = [
    "MAX_TOKEN_DAYS",
    "MIN_PASSWORD_LENGTH",
    "SESSION_LIFETIME",
    "TOKEN_PREFIX",
    "Action",
    "CustomerAccess",
    "InvalidCredentials",
    "Invitation",
    "Member",
    "MembershipView",
    "Organisation",
    "Passwords",
    "PendingInvitation",
    "SecondFactorRequired",
    "SignInThrottled",
    "SignedIn",
    "TokenCaller",
    "TokenInfo",
    "accept_invitation",
    "accept_invitation_as_new_user",
    "begin_totp",
    "change_member",
    "change_password",
    "complete_password_reset",
    "complete_second_factor",
    "confirm_totp",
    "create_token",
    "current_session",
    "invitation",
    "invite",
    "list_tokens",
    "may",
    "members",
    "pending_invitations",
    "remove_member",
    "request_password_reset",
    "require_second_factor_for_staff",
    "revoke_token",
    "scope_for",
    "second_factor_required_for_staff",
    "sign_in",
    "sign_out",
    "staff_needs_second_factor",
    "token_caller",
    "totp_enabled",
    "visible_customers",
]
