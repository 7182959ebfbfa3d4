"""People for the tests: users with a password and memberships, made through the owner as an admin would."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text

from portal.services.accounts import MembershipView, Passwords
from tests.support.database import set_scope

PASSWORD = "a long and unguessable passphrase"


def add_person(owner_engine: Engine, scope_key: bytes, memberships: list[MembershipView],
               name: str = "Person") -> tuple[uuid.UUID, str]:
    """A user with a password (``PASSWORD``) and these memberships; returns id and email."""
    user_id, email = uuid.uuid4(), f"p-{uuid.uuid4().hex[:10]}@example.test"
    with owner_engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, email, display_name, password_hash) VALUES (:i, :e, :n, :h)"),
                           {"i": user_id, "e": email, "n": name, "h": Passwords(scope_key).hash(PASSWORD)})
    for membership in memberships:
        with owner_engine.begin() as connection:
            set_scope(connection, membership.msp_id)
            connection.execute(text(
                "INSERT INTO memberships (id, user_id, msp_id, customer_id, role, tags) "
                "VALUES (gen_random_uuid(), :u, :m, :c, :r, :t)"),
                {"u": user_id, "m": membership.msp_id, "c": membership.customer_id, "r": membership.role.value,
                 "t": sorted(membership.tags)})
    return user_id, email
