"""Forms posted by the accounts pages (``application/x-www-form-urlencoded``)."""

from __future__ import annotations

import msgspec

__all__ = ["CodeForm", "OrganisationChoice", "SecondFactorForm", "SignInForm"]


class SignInForm(msgspec.Struct):
    email: str = ""
    password: str = ""


class OrganisationChoice(msgspec.Struct):
    organisation: str = ""


class SecondFactorForm(msgspec.Struct):
    code: str = ""


class CodeForm(msgspec.Struct):
    code: str = ""
