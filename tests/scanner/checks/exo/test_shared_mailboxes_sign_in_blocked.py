"""The ``users`` collection is taken from the sign-in fixture: both select ``id`` and ``accountEnabled``, the
only fields this check reads, and its ids are the mailboxes' ``ExternalDirectoryObjectId``."""

import re

import pytest

from scanner.checks import Status
from scanner.checks.exo import shared_mailboxes_sign_in_blocked as check
from tests.scanner.checks.conftest import graph_value, run
from tests.scanner.checks.exo.conftest import by_identity, exchange_value

INFO_ID = "0b2c4e6a-1d3f-4a5b-8c7d-9e0f1a2b3c4d"


def _run(mailboxes=None, users=None):
    return run(
        check,
        exo_mailboxes=mailboxes if mailboxes is not None else exchange_value("Get-Mailbox"),
        users=users if users is not None else graph_value("users-signinactivity"),
    )


def test_fails_when_a_shared_mailbox_account_can_sign_in():
    verdict = _run()
    assert verdict.status is Status.FAIL
    assert verdict.affected == ["info@contoso.com"]


def test_passes_when_shared_mailbox_accounts_are_blocked():
    users = graph_value("users-signinactivity")
    next(u for u in users if u["id"] == INFO_ID)["accountEnabled"] = False
    verdict = _run(users=users)
    assert verdict.status is Status.PASS
    assert verdict.evidence == {"shared_mailboxes": 1, "sign_in_enabled": 0}


def test_passes_when_there_are_no_shared_mailboxes():
    mailboxes = exchange_value("Get-Mailbox")
    by_identity(mailboxes, "info")["RecipientTypeDetails"] = "UserMailbox"
    verdict = _run(mailboxes=mailboxes)
    assert verdict.status is Status.PASS
    assert verdict.evidence["shared_mailboxes"] == 0


def test_shared_mailbox_without_its_user_is_an_error_not_a_pass():
    users = [u for u in graph_value("users-signinactivity") if u["id"] != INFO_ID]
    with pytest.raises(KeyError, match=re.escape("info@contoso.com")):
        _run(users=users)
