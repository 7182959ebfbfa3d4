"""The demo's people: one login per role, and a personal API token for the MSP admin and a viewer.

The MSP's first admin is provisioned by the platform (the owner, here), as a platform operator
would; everyone else is made the way the portal makes people: by that admin through the web role, in
a signed scope (``posture_create_member``), and each user sets their own password hash in their own
scope. Making the platform operator needs the owner too: no application role may, by design.
Passwords are new random ones at every demo start (printed, never stored in clear); running the demo
again keeps the people and gives them new passwords and tokens.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, text

from portal.db.engine import make_engine, scope_key_of
from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.accounts import Passwords, create_token

__all__ = ["DemoLogin", "seed_admin", "seed_people"]


@dataclass(frozen=True)
class DemoLogin:
    role: str  # CONTRACT.md's role word
    email: str
    password: str
    token: str | None = None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def seed_admin(owner_url: str, engine: Engine, msp_id: uuid.UUID, msp_name: str) -> DemoLogin:
    """The MSP's first admin, provisioned by the platform, with a new password and API token."""
    email = f"admin@{_slug(msp_name)}.example"
    admin_id = _provision_admin(owner_url, msp_id, email)
    return _refresh(engine, Scope(msp_id=msp_id, actor=email, user_id=admin_id), "msp_admin", email, None)


def seed_people(owner_url: str, engine: Engine, msp_id: uuid.UUID, msp_name: str,
                admin: DemoLogin) -> list[DemoLogin]:
    """Everyone else, added by ``admin`` (from ``seed_admin``); the customer's people are in the
    first customer by name. Returns every login, the admin's included, in CONTRACT.md's order."""
    domain = f"{_slug(msp_name)}.example"
    with unit_of_work(engine, Scope.for_msp(msp_id, actor="system:demo")) as uow:
        first = uow.session.execute(text("SELECT id, name FROM customers ORDER BY name LIMIT 1")).one()
        admin_id = uow.session.execute(text("SELECT id FROM users WHERE email = :e"), {"e": admin.email}).scalar_one()
    customer_domain = f"{_slug(first.name)}.example"
    wanted = [
        ("platform_operator", f"operator@{domain}", Role.MSP_ANALYST, None),
        ("msp_analyst", f"analyst@{domain}", Role.MSP_ANALYST, None),
        ("customer_admin", f"it@{customer_domain}", Role.CUSTOMER_ADMIN, first.id),
        ("customer_viewer", f"ceo@{customer_domain}", Role.CUSTOMER_VIEWER, first.id),
    ]
    # Everyone is added by the admin, as in the portal: the database lets only an MSP admin add members.
    as_admin = Scope(msp_id=msp_id, actor=admin.email, user_id=admin_id)
    logins = {"msp_admin": admin}
    for word, email, role, customer_id in wanted:
        user_id = _ensure_member(engine, as_admin, email, role, customer_id, word)
        scope = Scope(msp_id=msp_id, actor=email, user_id=user_id,
                      customer_ids=frozenset({customer_id}) if customer_id else None)
        logins[word] = _refresh(engine, scope, word, email, customer_id)
    _make_operator(owner_url, f"operator@{domain}")
    return [logins[word] for word in ("platform_operator", "msp_admin", "msp_analyst", "customer_admin",
                                      "customer_viewer")]


def _refresh(engine: Engine, scope: Scope, word: str, email: str, customer_id: uuid.UUID | None) -> DemoLogin:
    """A new password, set in the user's own scope, and an API token for the two roles that get one."""
    password = secrets.token_urlsafe(12)
    token = None
    with unit_of_work(engine, scope) as uow:
        uow.session.execute(text("SELECT posture_set_password_hash(:u, :h)"),
                            {"u": scope.user_id, "h": Passwords(scope_key_of(engine)).hash(password)})
        if word in ("msp_admin", "customer_viewer"):
            _, token = create_token(uow, name="demo", read_write=word == "msp_admin", days=30,
                                    customer_id=customer_id)
    return DemoLogin(word, email, password, token)


def _provision_admin(owner_url: str, msp_id: uuid.UUID, email: str) -> uuid.UUID:
    owner = make_engine(owner_url, pool_size=1)
    try:
        with owner.begin() as connection:
            user_id = connection.execute(text(
                "INSERT INTO users (id, email, display_name) VALUES (gen_random_uuid(), :e, 'Demo MSP Admin') "
                "ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id"), {"e": email}).scalar_one()
            connection.execute(text(
                "INSERT INTO memberships (id, user_id, msp_id, role) SELECT gen_random_uuid(), :u, :m, 'msp_admin' "
                "WHERE NOT EXISTS (SELECT FROM memberships WHERE user_id = :u AND msp_id = :m)"),
                {"u": user_id, "m": msp_id})
        return user_id
    finally:
        owner.dispose()


def _ensure_member(engine: Engine, admin: Scope, email: str, role: Role, customer_id: uuid.UUID | None,
                   word: str) -> uuid.UUID:
    with unit_of_work(engine, admin) as uow:
        existing = uow.session.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar()
        if existing is not None:
            return existing
        name = word.replace("_", " ").title()
        return uow.session.execute(text("SELECT posture_create_member(:e, :n, :r, :c, NULL)"), {
            "e": email, "n": f"Demo {name}", "r": role.value, "c": customer_id}).scalar_one()


def _make_operator(owner_url: str, email: str) -> None:
    # Only the owner may say who operates the platform. The demo's operator also keeps an analyst's
    # membership of the demo MSP, so that signing in shows something until the operator's pages exist.
    owner = make_engine(owner_url, pool_size=1)
    try:
        with owner.begin() as connection:
            connection.execute(text("UPDATE users SET is_platform_operator = true WHERE email = :e"), {"e": email})
    finally:
        owner.dispose()
