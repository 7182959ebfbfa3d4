"""Accounts: who may do what (the authorization rule), passwords, sign-in and sessions."""

from portal.services.accounts._access import Action, CustomerAccess, MembershipView, may, visible_customers
from portal.services.accounts._passwords import Passwords
from portal.services.accounts._resets import (
    MIN_PASSWORD_LENGTH,
    change_password,
    complete_password_reset,
    request_password_reset,
)
from portal.services.accounts._scope import scope_for
from portal.services.accounts._sessions import (
    SESSION_LIFETIME,
    InvalidCredentials,
    Organisation,
    SignedIn,
    SignInThrottled,
    current_session,
    sign_in,
    sign_out,
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
    "MembershipView",
    "Organisation",
    "Passwords",
    "SignInThrottled",
    "SignedIn",
    "TokenCaller",
    "TokenInfo",
    "change_password",
    "complete_password_reset",
    "create_token",
    "current_session",
    "list_tokens",
    "may",
    "request_password_reset",
    "revoke_token",
    "scope_for",
    "sign_in",
    "sign_out",
    "token_caller",
    "visible_customers",
]
