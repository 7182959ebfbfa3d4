"""Checks on the authentication methods policy (``/policies/authenticationMethodsPolicy``)."""
