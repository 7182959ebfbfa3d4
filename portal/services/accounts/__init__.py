"""Accounts: who may do what (the authorization rule), passwords, sign-in and sessions."""

from portal.services.accounts._access import Action, CustomerAccess, MembershipView, may, visible_customers
from portal.services.accounts._passwords import Passwords
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

__all__ = [
    "SESSION_LIFETIME",
    "Action",
    "CustomerAccess",
    "InvalidCredentials",
    "MembershipView",
    "Organisation",
    "Passwords",
    "SignInThrottled",
    "SignedIn",
    "current_session",
    "may",
    "sign_in",
    "sign_out",
    "visible_customers",
]
