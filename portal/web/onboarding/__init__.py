"""Onboarding pages: adding a customer, its consent link, and Microsoft's callback after consent."""

from portal.web.onboarding.controllers import ConsentCallbackController, OnboardingController

__all__ = ["ConsentCallbackController", "OnboardingController"]
