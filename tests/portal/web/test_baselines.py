"""The baselines pages: an MSP admin makes a baseline from the form (some checks, a severity raised, a
tighter Global Administrator range), a loosening is refused with the reason and nothing lost, every
customer is handed to the rescore queue, and the alignment table reads the projection."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from portal.db.models import Role
from portal.services.accounts import MembershipView
from portal.web.app import create_app
from portal.web.runtime import WebRuntime
from tests.portal.services.support import CRITICAL, HIGH, make_customer, make_msp
from tests.portal.web.support import sign_in
from tests.support.people import add_person


class Rescores(list):  # type: ignore[type-arg]
    def __call__(self, *, msp_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        self.append(customer_id)


@pytest.fixture
def rescores() -> Rescores:
    return Rescores()


@pytest.fixture
def client(web_engine: Engine, rescores: Rescores) -> Iterator[TestClient]:
    with TestClient(create_app(WebRuntime(engine=web_engine, rescore_queue=rescores))) as test_client:
        yield test_client


def test_an_admin_makes_a_baseline_from_the_form(client: TestClient, owner_engine: Engine, scope_key: bytes,
                                                 rescores: Rescores) -> None:
    msp = make_msp(owner_engine)
    customers = {make_customer(owner_engine, msp, name=n).customer_id for n in ("Contoso", "Fabrikam")}
    _, email = add_person(owner_engine, scope_key, [MembershipView(msp_id=msp, role=Role.MSP_ADMIN)])
    csrf = sign_in(client, email)
    form = {"_csrf_token": csrf, "name": "Regulated", "check_ids": [CRITICAL, HIGH], "overrides": f"{HIGH}: critical",
            "assign_tags": "Gold, regulated", "global_admin_max": "9", "priority": "10"}
    refused = client.post("/baselines/new", data=form)
    assert refused.status_code == 400 and "Most Global Administrators: from 2 to 8" in refused.text
    assert 'value="Regulated"' in refused.text and f"{HIGH}: critical" in refused.text  # nothing typed is lost
    saved = client.post("/baselines/new", data={**form, "global_admin_max": "3"}, follow_redirects=False)
    assert saved.status_code == 303
    with owner_engine.connect() as connection:
        row = connection.execute(text("SELECT id, check_ids, severity_overrides, settings, assign_tags FROM baselines "
                                      "WHERE msp_id = :m"), {"m": msp}).one()
    assert (sorted(row.check_ids), row.severity_overrides, row.settings, row.assign_tags) == (
        sorted([CRITICAL, HIGH]), {HIGH: "critical"}, {"global_admin_max": 3}, ["gold", "regulated"])
    assert set(rescores) == customers
    page = client.get("/baselines").text
    assert "Regulated" in page and "2 of" in page and "Contoso" in page
    edit = client.get(f"/baselines/{row.id}").text
    assert 'name="global_admin_max" value="3"' in edit and f'value="{CRITICAL}" checked' in edit
    assert client.post(f"/baselines/{row.id}/delete", data={"_csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    assert "No baselines" in client.get("/baselines").text
