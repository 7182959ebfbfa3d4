from scanner._plan import first_round, needed_collections
from scanner.checks import Gate, catalogue, get_check
from scanner.collections import ALWAYS


def test_single_ungated_check_reads_only_its_collections_and_the_inventory():
    check = get_check("entra.authz.no_user_app_registration")
    assert first_round([check]) == sorted({*ALWAYS, "authorization_policy"})
    assert needed_collections([check], set()) == first_round([check])


def test_gated_collections_wait_for_licences():
    gated = [c for c in catalogue() if Gate.EXCHANGE in c.meta.gates]
    assert gated, "the catalogue has Exchange checks"
    assert not any(n.startswith("exo_") for n in first_round(gated))
    assert any(n.startswith("exo_") for n in needed_collections(gated, {Gate.EXCHANGE}))
    assert not any(n.startswith("exo_") for n in needed_collections(gated, set()))


def test_unknown_licences_run_only_ungated_checks():
    checks = list(catalogue())
    assert needed_collections(checks, None) == first_round(checks)


def test_a_collection_that_needs_a_licence_is_read_only_once_the_tenant_is_known_to_have_it():
    checks = [get_check("entra.roles.global_admin_count")]
    assert "role_eligibility_instances" not in first_round(checks)
    assert "role_eligibility_instances" not in needed_collections(checks, {Gate.ENTRA_P1})
    assert "role_eligibility_instances" not in needed_collections(checks, None)
    assert "role_eligibility_instances" in needed_collections(checks, {Gate.ENTRA_P1, Gate.ENTRA_P2})
