"""Tags: the labels that group customers (a region, a plan, a team) and scope analysts to them.

A customer's tags and an analyst's tags are compared as they are stored, so both are read the same
way: a comma-separated list, trimmed, spaces collapsed, lower-cased ("East", " east " and "EAST" are
one tag), duplicates dropped. A tag decides what an analyst may see, so anything unusual is refused
rather than stored: control characters, more than ``MAX_TAGS`` tags, or a tag over ``MAX_TAG_LENGTH``.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.db.models import Customer
from portal.db.uow import UnitOfWork
from portal.services.errors import InvalidInput

__all__ = ["MAX_TAGS", "MAX_TAG_LENGTH", "customer_tags", "parse_tags"]

MAX_TAGS = 10
MAX_TAG_LENGTH = 40
_ALLOWED = re.compile(r"^[\w .&/+-]+$")


def parse_tags(text: str) -> tuple[str, ...]:
    """The tags in ``text`` ("east, Gold"), normalised and sorted.

    Raises:
        InvalidInput: too many tags, a tag too long, or characters a label has no use for.
    """
    tags = {" ".join(part.split()).lower() for part in text.split(",")} - {""}
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"give at most {MAX_TAGS} tags")
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidInput(f"a tag has at most {MAX_TAG_LENGTH} characters: {tag[:MAX_TAG_LENGTH]}…")
        if not _ALLOWED.match(tag):
            raise InvalidInput("tags are words, digits, spaces and . & / + - only")
    return tuple(sorted(tags))


def customer_tags(uow: UnitOfWork) -> list[str]:
    """Every tag on a customer in the caller's scope, sorted."""
    tags = select(func.unnest(Customer.tags).label("tag")).distinct().subquery()
    return list(uow.session.scalars(select(tags.c.tag).order_by(tags.c.tag)))
