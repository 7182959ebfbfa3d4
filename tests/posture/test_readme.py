from posture.readme import README, render


def test_readme_generated_sections_are_current():
    text = README.read_text()
    assert render(text) == text, "run `make docs` (python -m posture.readme) and commit README.md"


def test_readme_lists_every_check_and_permission():
    text = README.read_text()
    assert "`entra.ca.block_legacy_auth`" in text
    assert "`Exchange.ManageAsApp`" in text
