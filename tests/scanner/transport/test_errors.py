"""The error tree: stable reasons, and errors that survive pickling (worker results cross processes)."""

from __future__ import annotations

import copy
import pickle

import pytest

from scanner._errors import (
    AuthError,
    ConsentMissing,
    CredentialInvalid,
    ExchangeRoleMissing,
    InsufficientPermission,
    MalformedResponse,
    RequestError,
    ScannerError,
    ServiceError,
    TenantNotFound,
    Throttled,
    TransientAuthError,
)

CASES = [
    (ConsentMissing("m", tenant_id="t", error="unauthorized_client", error_codes=[700016], status=400),
     "consent_missing"),
    (TenantNotFound("m", tenant_id="t"), "tenant_not_found"),
    (CredentialInvalid("m"), "credential_invalid"),
    (TransientAuthError("m", status=503), "auth_unavailable"),
    (AuthError("m", error="invalid_request"), "auth_error:invalid_request"),
    (InsufficientPermission(403, "Authorization_RequestDenied", "m", "/x", tenant_id="t",
                            permission="Policy.Read.All"), "insufficient_permission:Policy.Read.All"),
    (InsufficientPermission(403, None, "m", "/x"), "insufficient_permission"),
    (ExchangeRoleMissing(403, None, "m", "/x", permission="Exchange.ManageAsApp"), "exchange_role_missing"),
    (Throttled(429, "TooManyRequests", "m", "/x", retry_after_s=7.0), "throttled"),
    (ServiceError(503, None, "m", "/x"), "service_error:503"),
    (ServiceError(None, "ConnectError", "m", "/x"), "service_error:network"),
    (MalformedResponse(200, None, "m", "/x"), "malformed_response"),
]


@pytest.mark.parametrize(("error", "reason"), CASES)
def test_reasons_are_stable(error: ScannerError, reason: str):
    assert error.reason == reason


@pytest.mark.parametrize(("error", "reason"), CASES)
def test_errors_pickle_and_copy_with_their_fields(error: ScannerError, reason: str):
    for clone in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(clone) is type(error)
        assert clone.reason == reason
        assert vars(clone) == vars(error)
        assert str(clone) == str(error)


def test_the_tree_splits_by_what_the_caller_does():
    assert issubclass(ExchangeRoleMissing, InsufficientPermission)
    assert all(issubclass(c, AuthError) for c in (ConsentMissing, TenantNotFound, CredentialInvalid,
                                                   TransientAuthError))
    assert all(issubclass(c, RequestError) for c in (InsufficientPermission, Throttled, ServiceError,
                                                      MalformedResponse))
    assert not issubclass(AuthError, RequestError)
