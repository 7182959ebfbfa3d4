"""Onboarding a customer's tenant by admin consent: the link, the callback, and what Microsoft confirms."""

from portal.services.onboarding._break_glass import MAX_BREAK_GLASS, parse_object_ids, record_break_glass
from portal.services.onboarding._consent import (
    CONSENT_LIFETIME,
    ConsentApp,
    ConsentResult,
    add_customer,
    complete_consent,
    consent_link,
    may_make_consent_link,
)
from portal.services.onboarding._messages import AADSTS_MESSAGES, consent_error_message
from portal.services.onboarding._verify import ConsentNotVerified, Verification, verify_consent

__all__ = ["AADSTS_MESSAGES", "CONSENT_LIFETIME", "MAX_BREAK_GLASS",
           "ConsentApp", "ConsentNotVerified", "ConsentResult", "Verification",
           "add_customer", "complete_consent", "consent_error_message", "consent_link", "may_make_consent_link",
           "parse_object_ids", "record_break_glass", "verify_consent"]
