"""Sign-in, sessions and sign-out on the real database, as the portal's role."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from portal.db.engine import make_engine, role_url
from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import (
    InvalidCredentials,
    MembershipView,
    SignInThrottled,
    current_session,
    sign_in,
    sign_out,
)
from portal.services.accounts._sessions import ACCOUNT_AT_ADDRESS_LIMIT, ADDRESS_LIMIT, session_signature
from tests.conftest import ROLES
from tests.portal.services.support import make_customer, make_msp
from tests.support.people import PASSWORD, add_person


@pytest.fixture
def user(owner_engine: Engine, scope_key: bytes) -> tuple[uuid.UUID, str, uuid.UUID, uuid.UUID]:
    """A user who is an analyst (tag gold) of one MSP and a customer viewer of another MSP's customer."""
    first, second = make_msp(owner_engine), make_msp(owner_engine)
    customer = make_customer(owner_engine, second, name="Fabrikam").customer_id
    user_id, email = add_person(owner_engine, scope_key, [
        MembershipView(msp_id=first, role=Role.MSP_ANALYST, tags=frozenset({"gold"})),
        MembershipView(msp_id=second, role=Role.CUSTOMER_VIEWER, customer_id=customer)], name="Ann")
    return user_id, email, first, second


@pytest.fixture
def second_process(owner_url: str, scope_key: bytes) -> Iterator[Engine]:
    """Another web process's engine: sessions must be shared through the database."""
    engine = make_engine(role_url(owner_url, ROLES.web), pool_size=1, scope_key=scope_key)
    yield engine
    engine.dispose()


def _address() -> str:
    # One of 16 million: tests that exhaust an address's failure budget must never share it with another
    # test in the session (250 addresses did, now and then, and a sign-in here was throttled).
    n = uuid.uuid4().int
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def test_a_right_password_gives_a_session_with_every_organisation(web_engine: Engine, user) -> None:
    user_id, email, first, second = user
    token, expires = sign_in(web_engine, email.upper(), PASSWORD, address=_address())

    session = current_session(web_engine, token)
    assert session is not None and session.user_id == user_id
    assert expires - dt.datetime.now(dt.UTC) > dt.timedelta(hours=11)
    roles = {(o.membership.msp_id, o.membership.role, o.membership.customer_id is not None)
             for o in session.organisations}
    assert roles == {(first, Role.MSP_ANALYST, False), (second, Role.CUSTOMER_VIEWER, True)}
    assert {o.label for o in session.organisations} >= {"Fabrikam (Test MSP)"}
    assert next(o for o in session.organisations if o.membership.msp_id == first).membership.tags == {"gold"}


@pytest.mark.parametrize("wrong", ["email", "password"])
def test_a_wrong_email_or_password_is_one_and_the_same_failure(wrong: str, web_engine: Engine, user) -> None:
    _, email, _, _ = user
    with pytest.raises(InvalidCredentials, match="the email or the password is not right"):
        sign_in(web_engine, "nobody@example.test" if wrong == "email" else email,
                "x" if wrong == "password" else PASSWORD, address=_address())


def test_every_sign_in_makes_a_new_token_and_a_planted_one_opens_nothing(web_engine: Engine, user) -> None:
    _, email, _, _ = user
    address = _address()
    first, _ = sign_in(web_engine, email, PASSWORD, address=address)
    second, _ = sign_in(web_engine, email, PASSWORD, address=address)
    assert first != second
    assert current_session(web_engine, "planted-by-an-attacker") is None


def test_sign_out_revokes_the_session_in_every_web_process(web_engine: Engine, second_process: Engine,
                                                          user) -> None:
    _, email, _, _ = user
    token, _ = sign_in(web_engine, email, PASSWORD, address=_address())
    assert current_session(second_process, token) is not None

    sign_out(second_process, token)

    assert current_session(web_engine, token) is None


def test_an_expired_session_opens_nothing(web_engine: Engine, owner_engine: Engine, user) -> None:
    _, email, _, _ = user
    token, _ = sign_in(web_engine, email, PASSWORD, address=_address())
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE web_sessions SET expires_at = now() - interval '1 second' "
                                "WHERE token_hash = sha256(convert_to(:t, 'UTF8'))"), {"t": token})
    assert current_session(web_engine, token) is None


def test_failures_throttle_the_account_at_that_address_only_and_for_a_while(web_engine: Engine,
                                                                           owner_engine: Engine, user) -> None:
    _, email, _, _ = user
    attacker, owner_address = _address(), "203.0.113.7"
    for _ in range(ACCOUNT_AT_ADDRESS_LIMIT):
        with pytest.raises(InvalidCredentials):
            sign_in(web_engine, email, "guess", address=attacker)

    with pytest.raises(SignInThrottled) as throttled:
        sign_in(web_engine, email, PASSWORD, address=attacker)  # even the right password waits
    assert 0 < throttled.value.wait_s <= 15 * 60
    assert sign_in(web_engine, email, PASSWORD, address=owner_address)  # the owner is not locked out

    with owner_engine.begin() as connection:  # the window passes
        connection.execute(text("UPDATE sign_in_failures SET at = at - interval '16 minutes'"))
    assert sign_in(web_engine, email, PASSWORD, address=attacker)


def test_an_address_trying_many_accounts_is_throttled(web_engine: Engine, user) -> None:
    _, email, _, _ = user
    address = _address()
    for n in range(ADDRESS_LIMIT):
        with pytest.raises(InvalidCredentials):
            sign_in(web_engine, f"victim-{n}@example.test", "guess", address=address)
    with pytest.raises(SignInThrottled):
        sign_in(web_engine, email, PASSWORD, address=address)


def test_an_injected_query_cannot_mint_a_session_or_read_the_sessions(web_engine: Engine, user) -> None:
    user_id, _, _, _ = user
    token_hash = uuid.uuid4().bytes * 2
    forged = session_signature(b"not the key", user_id, token_hash, 4_102_444_800)
    with pytest.raises(DBAPIError, match="only by the portal"), web_engine.begin() as connection:
        connection.execute(text("SELECT posture_create_session(:u, :h, 4102444800, 'x', :s)"),
                           {"u": user_id, "h": token_hash, "s": forged})
    for sql in ("SELECT token_hash FROM web_sessions", "SELECT key FROM sign_in_failures",
                "DELETE FROM sign_in_failures"):
        with pytest.raises(DBAPIError, match="permission denied"), web_engine.begin() as connection:
            connection.execute(text(sql))


def test_a_hash_the_portal_can_read_is_useless_without_the_pepper(web_engine: Engine, user) -> None:
    _, email, _, _ = user
    with web_engine.begin() as connection:
        stored = connection.execute(text("SELECT password_hash FROM posture_password_candidate(:e)"),
                                    {"e": email}).scalar_one()
    assert stored.startswith("$argon2id$")
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored, PASSWORD)  # the password alone does not open it


def test_sessions_are_revoked_by_their_own_user_only(web_engine: Engine, user) -> None:
    user_id, email, first, _ = user
    token, _ = sign_in(web_engine, email, PASSWORD, address=_address())
    stranger = Scope(msp_id=first, actor="mallory@example.test", user_id=uuid.uuid4())
    with pytest.raises(DBAPIError, match="by their own user"), unit_of_work(web_engine, stranger) as uow:
        uow.session.execute(text("SELECT posture_revoke_user_sessions(:u)"), {"u": user_id})
    assert current_session(web_engine, token) is not None

    with unit_of_work(web_engine, Scope(msp_id=first, actor=email, user_id=user_id)) as uow:
        revoked = uow.session.execute(text("SELECT posture_revoke_user_sessions(:u)"), {"u": user_id}).scalar_one()
    assert revoked >= 1 and current_session(web_engine, token) is None


def test_a_sign_in_is_in_the_audit_trail_of_each_organisation(web_engine: Engine, owner_engine: Engine,
                                                              user) -> None:
    user_id, email, first, second = user
    address = _address()
    sign_in(web_engine, email, PASSWORD, address=address)
    with owner_engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT msp_id, customer_id IS NOT NULL, actor, details->>'address' FROM audit_events "
            "WHERE action = 'account.signed_in' AND target = :t"), {"t": f"user:{user_id}"}).all()
    assert sorted((r[0], r[1], r[2], r[3]) for r in rows) == sorted(
        [(first, False, email, address), (second, True, email, address)])
