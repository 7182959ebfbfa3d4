"""Invitations: how MSP staff and customer users join an organisation (migration 0008).

Who may invite whom is the one rule (:func:`may`): MSP admins invite MSP staff (``MANAGE_TEAM``);
customer users are invited by whoever may ``MANAGE_CUSTOMER_USERS`` for that customer (its customer
admins, and MSP admins at the Operate tier or above). A link is valid for seven days and once; with
an account, the invitee must be signed in as the invited email to accept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from portal.db.engine import scope_key_of
from portal.db.models import Customer, Role
from portal.db.scope import sign_fields
from portal.db.uow import UnitOfWork
from portal.services.accounts._access import Action, CustomerAccess, MembershipView, may
from portal.services.accounts._passwords import Passwords
from portal.services.accounts._resets import check_new_password
from portal.services.audit import record_event
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.mail import MailSender, compose

__all__ = ["INVITATION_LIFETIME", "Invitation", "accept_invitation", "accept_invitation_as_new_user",
           "invitation", "invite"]

INVITATION_LIFETIME = dt.timedelta(days=7)
_MSP_ROLES = (Role.MSP_ADMIN, Role.MSP_ANALYST)
#: One address: one @, no space, control character or bar (as ``posture_set_email`` checks).
_ADDRESS = re.compile(r"[^@\s\x00-\x1f\x7f|,;<>]+@[^@\s\x00-\x1f\x7f|,;<>]+")


@dataclass(frozen=True)
class Invitation:
    """What the invitee sees before accepting."""

    email: str
    role: Role
    msp_name: str
    customer_name: str | None
    account_exists: bool


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def invitation_signature(key: bytes, msp_id: uuid.UUID, token_hash: bytes, email: str, expires_epoch: int) -> str:
    """What ``posture_create_invitation`` checks."""
    return sign_fields(key, ["invitation", str(msp_id), token_hash.hex(), email.lower(), str(expires_epoch)])


def invite(uow: UnitOfWork, engine: Engine, inviter: MembershipView, *, email: str, role: Role,
           customer_id: uuid.UUID | None = None, tags: frozenset[str] = frozenset(), mailer: MailSender | None,
           link_base: str, now: dt.datetime | None = None) -> uuid.UUID:
    """Invite ``email`` as ``role`` (in ``customer_id`` for customer roles) and mail the link.

    Raises:
        Forbidden: the inviter may not invite to that role or customer.
        NotFound: no such customer in the inviter's scope.
        InvalidInput: an address that is not one, or a role and customer that do not go together.
        RuntimeError: no mail relay is configured.
    """
    email = email.strip().lower()
    if not _ADDRESS.fullmatch(email) or len(email) > 320:  # the rule of posture_set_email (migration 0002)
        raise InvalidInput("give the invitee's email address")
    if (role in _MSP_ROLES) != (customer_id is None):
        raise InvalidInput("MSP roles belong to the MSP; customer roles to one customer")
    if role in _MSP_ROLES:
        allowed = may(inviter, Action.MANAGE_TEAM)
    else:
        row = uow.session.execute(select(Customer.id, Customer.msp_id, Customer.access_tier, Customer.tags)
                                  .where(Customer.id == customer_id)).one_or_none()
        if row is None:
            raise NotFound(f"customer {customer_id} not found")
        allowed = may(inviter, Action.MANAGE_CUSTOMER_USERS,
                      CustomerAccess(row.id, row.msp_id, row.access_tier, frozenset(row.tags or ())))
    if not allowed:
        raise Forbidden("your role does not let you invite to this organisation")
    if mailer is None:
        raise RuntimeError("this portal sends no mail: set POSTURE_SMTP_HOST to send invitations")
    token = secrets.token_urlsafe(32)
    token_hash = _hash(token)
    expires = int(((now or dt.datetime.now(dt.UTC)) + INVITATION_LIFETIME).timestamp())
    signature = invitation_signature(scope_key_of(engine), uow.scope.msp_id, token_hash, email, expires)
    invitation_id = uow.session.execute(text("SELECT posture_create_invitation(:h, :e, :r, :c, :t, :x, :s)"), {
        "h": token_hash, "e": email, "r": role.value, "c": customer_id, "t": sorted(tags), "x": expires,
        "s": signature}).scalar_one()
    record_event(uow, customer_id=customer_id, action="invitation.sent", target=f"invitation:{invitation_id}",
                 details={"email": email, "role": role.value})
    uow.after_commit(lambda: mailer.send(compose(to=email, subject="You are invited to M365 posture", text=(
        f"{uow.scope.actor} invited you to join their organisation on M365 posture as {role.value.replace('_', ' ')}."
        f"\n\nAccept within seven days: {link_base.rstrip('/')}/invitations/{token}\n"))))
    return invitation_id


def invitation(engine: Engine, token: str) -> Invitation | None:
    """The invitation behind a link, if it is still open."""
    with engine.begin() as connection:
        row = connection.execute(text("SELECT * FROM posture_invitation(:h)"), {"h": _hash(token)}).one_or_none()
    if row is None:
        return None
    return Invitation(row.email, Role(row.role), row.msp_name, row.customer_name, row.account_exists)


def accept_invitation_as_new_user(engine: Engine, token: str, *, display_name: str, password: str) -> uuid.UUID:
    """Accept with a new account (the invited email, this name and password); returns the new user's id.

    Raises:
        InvalidInput: no name, a password too short, a link that is used, expired or unknown, or an
            email that has an account already (its owner signs in and accepts instead).
    """
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 200:
        raise InvalidInput("give your name")
    check_new_password(password)
    password_hash = Passwords(scope_key_of(engine)).hash(password)
    try:
        with engine.begin() as connection:
            user_id = connection.execute(text("SELECT posture_accept_invitation_new(:h, :n, :p)"), {
                "h": _hash(token), "n": display_name, "p": password_hash}).scalar_one()
    except IntegrityError:  # the email has an account (made since the link was sent): nothing changed
        raise InvalidInput("an account with this email exists: sign in with it to accept") from None
    if user_id is None:
        raise InvalidInput("this invitation is used, expired or unknown: ask for a new one")
    return user_id


def accept_invitation(engine: Engine, token: str, session_token: str) -> bool:
    """The user signed in with ``session_token`` accepts (they may belong to no organisation yet);
    False unless the link is open and names their email. The acceptance is on record (migration 0010)."""
    with engine.begin() as connection:
        return bool(connection.execute(text("SELECT posture_accept_invitation_in_session(:h, :s)"),
                                       {"h": _hash(token), "s": _hash(session_token)}).scalar_one())
