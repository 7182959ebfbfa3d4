"""The second factor on the real database: set-up, sign-in with a code or a recovery code, replay,
throttling, expiry, and what an injected query can (not) do with it."""

from __future__ import annotations

import datetime as dt
import uuid

import pyotp
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import (
    MembershipView,
    SecondFactorRequired,
    SignInThrottled,
    begin_totp,
    complete_second_factor,
    confirm_totp,
    current_session,
    sign_in,
)
from portal.services.accounts._sessions import second_factor_ticket, ticket_signature
from portal.services.errors import InvalidInput
from tests.portal.services.support import make_msp
from tests.support.people import PASSWORD, add_person


@pytest.fixture
def enrolled(web_engine: Engine, owner_engine: Engine, scope_key: bytes) -> tuple[uuid.UUID, str, str, list[str]]:
    """A user with a second factor: id, email, the TOTP secret, the recovery codes."""
    msp = make_msp(owner_engine)
    user_id, email = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)])
    scope = Scope(msp_id=msp, actor=email, user_id=user_id)
    with unit_of_work(web_engine, scope) as uow:
        secret, uri = begin_totp(uow, web_engine, email=email)
    assert uri.startswith("otpauth://totp/") and "M365%20posture" in uri
    with pytest.raises(InvalidInput), unit_of_work(web_engine, scope) as uow:
        confirm_totp(uow, web_engine, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    with unit_of_work(web_engine, scope) as uow:
        codes = confirm_totp(uow, web_engine, pyotp.TOTP(secret).now())
    return user_id, email, secret, codes


def _ticket(web_engine: Engine, email: str) -> str:
    with pytest.raises(SecondFactorRequired) as required:
        sign_in(web_engine, email, PASSWORD, address="192.0.2.20")
    return required.value.ticket


def test_a_password_alone_no_longer_opens_a_session_and_a_code_does_once(web_engine: Engine, enrolled) -> None:
    _, email, secret, codes = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    ticket = _ticket(web_engine, email)
    code = pyotp.TOTP(secret).now()

    token, _ = complete_second_factor(web_engine, ticket, code, address="192.0.2.20")
    assert current_session(web_engine, token) is not None
    with pytest.raises(InvalidInput, match="used already"):
        complete_second_factor(web_engine, _ticket(web_engine, email), code, address="192.0.2.20")


def test_a_recovery_code_works_once(web_engine: Engine, enrolled) -> None:
    _, email, _, codes = enrolled
    assert complete_second_factor(web_engine, _ticket(web_engine, email), codes[0].upper(), address="x")
    with pytest.raises(InvalidInput):
        complete_second_factor(web_engine, _ticket(web_engine, email), codes[0], address="x")
    assert complete_second_factor(web_engine, _ticket(web_engine, email), codes[1], address="x")


def test_wrong_codes_are_throttled(web_engine: Engine, enrolled) -> None:
    _, email, secret, _ = enrolled
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    ticket = _ticket(web_engine, email)
    for _ in range(5):
        with pytest.raises(InvalidInput):
            complete_second_factor(web_engine, ticket, wrong, address="x")
    with pytest.raises(SignInThrottled):
        complete_second_factor(web_engine, ticket, right, address="x")


def test_an_expired_or_forged_ticket_opens_nothing(web_engine: Engine, enrolled, scope_key: bytes) -> None:
    user_id, _, secret, _ = enrolled
    old = second_factor_ticket(scope_key, user_id, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6))
    forged = second_factor_ticket(b"guessed key", user_id)
    for ticket in (old, forged, "garbage"):
        with pytest.raises(InvalidInput):
            complete_second_factor(web_engine, ticket, pyotp.TOTP(secret).now(), address="x")


def test_an_injected_query_cannot_read_the_secret_or_spend_a_code(web_engine: Engine, owner_engine: Engine,
                                                                  enrolled) -> None:
    user_id, _, secret, _ = enrolled
    expires = int((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).timestamp())
    forged = ticket_signature(b"guessed key", user_id, expires)
    for sql in ("SELECT * FROM posture_totp_for_sign_in(:u, :e, :s)",
                "SELECT posture_totp_use(:u, 1, NULL, :e, :s)"):
        with pytest.raises(DBAPIError, match="only after the password"), web_engine.begin() as connection:
            connection.execute(text(sql), {"u": user_id, "e": expires, "s": forged})
    with pytest.raises(DBAPIError, match="permission denied"), web_engine.begin() as connection:
        connection.execute(text("SELECT totp_secret FROM users"))
    with owner_engine.connect() as connection:
        stored = bytes(connection.execute(text("SELECT totp_secret FROM users WHERE id = :u"), {"u": user_id}).scalar())
    assert secret.encode() not in stored  # encrypted at rest


def test_a_wrong_code_is_a_failed_sign_in_on_record(web_engine: Engine, owner_engine: Engine, enrolled) -> None:
    user_id, email, _, _ = enrolled
    with pytest.raises(InvalidInput):
        complete_second_factor(web_engine, _ticket(web_engine, email), "abcdef", address="192.0.2.21")
    with owner_engine.connect() as connection:
        row = connection.execute(text("SELECT actor, details FROM audit_events WHERE action = 'account.sign_in_failed' "
                                      "AND target = :t"), {"t": f"user:{user_id}"}).one()
    assert row.actor == email and row.details == {"address": "192.0.2.21", "step": "second factor"}


def test_an_injected_query_cannot_forge_failed_sign_ins_into_a_trail(web_engine: Engine, enrolled) -> None:
    user_id, _, _, _ = enrolled
    epoch = int(dt.datetime.now(dt.UTC).timestamp())
    with pytest.raises(DBAPIError, match="recorded by the portal only"), web_engine.begin() as connection:
        connection.execute(text("SELECT posture_record_failed_sign_in(:u, 'x', 'password', :e, 'forged')"),
                           {"u": user_id, "e": epoch})
