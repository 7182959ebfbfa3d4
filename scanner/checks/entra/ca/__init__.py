"""Conditional Access checks (Entra ID P1 and above), one module per check.

The shared rules (CA-base, break-glass ids, MFA and phishing-resistant controls, admin targeting)
live in ``_policy.py`` so that every check reads a policy the same way.
"""
