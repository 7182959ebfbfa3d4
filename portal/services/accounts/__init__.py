"""Accounts: who may do what (the authorization rule), and, as issue 7 goes on, sign-in and sessions."""

from portal.services.accounts._access import Action, CustomerAccess, MembershipView, may, visible_customers

__all__ = ["Action", "CustomerAccess", "MembershipView", "may", "visible_customers"]
