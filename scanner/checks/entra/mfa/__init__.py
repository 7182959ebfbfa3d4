"""Checks on who has registered which MFA methods (``userRegistrationDetails``; needs Entra ID P1)."""
