"""The executive PDF of a scan, read back as a person would: its text (pdftotext), its pages, its fonts.

Each simulator profile is scanned over real HTTP and rendered; pages are also saved as PNG under
``data/test-screenshots/`` for a person to look at.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from portal.services.branding import accept_logo, make_brand
from portal.services.reports import ReportInputs, ScannedCheck, build_report, executive_pdf, inputs_from_result
from posture import scanning
from scanner import TenantInfo, catalogue
from tests.posture.test_cli import posture

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "data" / "test-screenshots"
BRAND = make_brand("Northwind IT", primary="#ffcc00", contact="help@northwind.example",
                   attribution="Prepared by Northwind IT")
SECTIONS = ("Contents", "At a glance", "Score over 90 days", "Top risks", "Remediation plan", "Needs a licence upgrade",
            "Accepted risks", "Score by area and baseline", "Environment overview", "Appendix: failed checks",
            "Methodology")
A4_WIDTH = 595.28


def scan(profile: str, users: int = 60):
    request = scanning.ScanRequest(checks=scanning.select_checks(None))
    return asyncio.run(scanning.scan_simulated(request, profile=profile, users=users))


def pdf_text(pdf: Path, *, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def save_pages(pdf: Path, name: str, pages: int = 4) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-l", str(pages), str(pdf), str(SHOTS / name)], check=True)


def render(tmp_path: Path, report_inputs: ReportInputs, name: str = "report") -> Path:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(executive_pdf(build_report(report_inputs)))
    return path


@pytest.mark.integration
@pytest.mark.parametrize("profile", ["secure", "typical", "neglected", "free"])
def test_every_profile_renders_every_section_with_its_figures(tmp_path, profile):
    result = scan(profile)
    report = build_report(inputs_from_result(result, BRAND, issued_on=dt.date.today()))
    pdf = tmp_path / f"{profile}.pdf"
    pdf.write_bytes(executive_pdf(report))
    save_pages(pdf, f"report-{profile}")
    text = pdf_text(pdf)
    for section in SECTIONS:
        assert section in text, section
    assert result.tenant.name in text and "Northwind IT" in text
    assert f"Page 2 of {page_count(pdf)}" in text
    assert re.search(rf"^\s*{report.score:.0f}\s*{report.grade}\b", text, re.M), "the cover's score"
    env = result.environment
    assert re.search(rf"Enabled members\s+{env['members']:,}\b", text)
    assert re.search(rf"Guests\s+{env['guests']:,}\b", text)
    failing = [c for c in result.checks if c.status.value == "fail"]
    if profile == "secure":
        # CONTRACT.md: every applicable check of the secure profile passes.
        assert not failing
        assert "No check is failing" in text and "Nothing to fix" in text
    else:
        assert failing
        for c in failing:
            assert c.meta.title[:40] in " ".join(text.split()), c.id
    if profile == "neglected":
        # CONTRACT.md: no Conditional Access policy blocks legacy authentication in this tenant.
        assert "Legacy authentication is blocked" in text
        assert "critical issue" in text
    if profile == "free":
        # No Entra ID P1: the Conditional Access checks wait for a licence, and the report says which.
        start = text.index("Needs a licence upgrade")
        upgrade = text[start:text.index("Accepted risks", start)]
        assert "Entra ID P1" in upgrade


def every_check_failing(affected: int = 3) -> list[ScannedCheck]:
    return [ScannedCheck(c.id, "fail", c.meta.severity.value, None,
                         tuple(f"user{i}@contoso.example" for i in range(affected))) for c in catalogue()]


def test_long_tables_break_across_pages_with_their_header_repeated(tmp_path):
    pdf = render(tmp_path, ReportInputs(customer_name="Contoso", scan_started=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
                                        checks=every_check_failing(), brand=BRAND, issued_on=dt.date(2026, 11, 3)))
    pages = [pdf_text(pdf, first=n, last=n) for n in range(1, page_count(pdf) + 1)]
    plan_pages = [i for i, p in enumerate(pages) if re.search(r"^\s*\d+\s+\S.*\d{2} \w{3} 20\d\d\s*$", p, re.M)
                  and "Target" in p]
    assert len(plan_pages) >= 3, "104 failing checks make a plan of several pages"
    assert plan_pages == list(range(plan_pages[0], plan_pages[-1] + 1))
    for i in plan_pages:
        assert re.search(r"#\s+Action\s+Area\s+Severity\s+Target", pages[i]), f"page {i + 1} lacks the header"
    rows = re.findall(r"^\s*(\d+)\s+\S", "".join(pages[i] for i in plan_pages), re.M)
    assert [int(r) for r in rows if int(r) <= len(catalogue())][-1] == len(catalogue())


def words_outside_the_page(pdf: Path) -> list[str]:
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    root = ET.fromstring(xml.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    return [w.text or "" for w in root.iter("word") if float(w.get("xMax")) > A4_WIDTH - 20 or float(w.get("xMin")) < 0]


HOSTILE_NAME = '<script>alert(1)</script><img src="file:///etc/passwd"> Café & Co'


def test_hostile_and_long_text_renders_as_text_inside_the_page(tmp_path):
    long_upn = "a" * 180 + "@" + "b" * 60 + ".example"
    checks = every_check_failing()
    checks[0] = dataclasses.replace(checks[0], affected=(long_upn, *[f"u{i}@x.example" for i in range(3000)]))
    pdf = render(tmp_path, ReportInputs(
        customer_name=HOSTILE_NAME + " " + "W" * 120, scan_started=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
        checks=checks, brand=make_brand("Evil </style><script>x</script>", contact='"; } body { display:none } "'),
        issued_on=dt.date(2026, 11, 3), note="Line one.\n<b>not bold</b>\n\nLine two."), "hostile")
    save_pages(pdf, "report-hostile", pages=3)
    text = " ".join(pdf_text(pdf).split())
    assert "<script>alert(1)</script>" in text and "Café & Co" in text
    assert "Evil </style><script>x</script>" in text
    assert "<b>not bold</b>" in text and "Line two." in text
    assert "… and 2,991 more: the full list is in the CSV export" in text  # 3,001 affected, 10 shown
    assert not words_outside_the_page(pdf)


def test_right_to_left_and_cjk_names_render_with_real_glyphs(tmp_path):
    names = {"arabic": "شركة القهوة", "hebrew": "חברת הקפה", "cjk": "第四咖啡株式会社"}
    result = scan("typical", users=20)
    for key, name in names.items():
        renamed = dataclasses.replace(result, tenant=TenantInfo(result.tenant.id, name, result.tenant.default_domain))
        pdf = render(tmp_path, inputs_from_result(renamed, BRAND, issued_on=dt.date.today()), key)
        text = pdf_text(pdf, first=1, last=1)
        words = name.split()
        # pdftotext writes right-to-left words in visual order; the words themselves must survive.
        assert all(w in text or w[::-1] in text for w in words), (key, text[:300])
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        if key == "cjk":
            assert "WenQuanYi" in fonts, "a CJK font must be installed (fonts-wqy-microhei) and embedded"
        save_pages(pdf, f"report-{key}", pages=1)


def test_an_svg_logo_is_drawn_on_the_cover(tmp_path):
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="120" height="40" '
           b'fill="#123456"/><text x="8" y="26" fill="#ffffff" font-size="18">ACME</text></svg>')
    brand = dataclasses.replace(BRAND, logo=accept_logo(svg))
    result = scan("typical", users=20)
    pdf = render(tmp_path, inputs_from_result(result, brand, issued_on=dt.date.today()), "logo")
    save_pages(pdf, "report-logo", pages=1)
    assert "ACME" in pdf_text(pdf, first=1, last=1)  # the SVG's text is drawn as text


def test_cli_writes_the_pdf_to_the_output_file(tmp_path):
    out = tmp_path / "assessment.pdf"
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    proc = posture("scan", "--simulate", "neglected", "--users", "30", "--format", "pdf", "--output", str(out),
                   "--brand-name", "Contoso Advisory", "--brand-logo", str(logo), "--brand-colour", "#0B6E4F")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    assert "Contoso Advisory" in text and "Prepared by Contoso Advisory" in text and "Coho Winery" in text


def test_cli_output_works_for_the_other_formats(tmp_path):
    out = tmp_path / "scan.json"
    proc = posture("scan", "--simulate", "typical", "--users", "20", "--format", "json", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and out.read_text().lstrip().startswith("{")


@pytest.mark.parametrize("args", [
    ("--format", "json", "--brand-name", "X"),
    ("--format", "pdf", "--brand-colour", "teal"),
    ("--format", "pdf", "--brand-name", "two\nlines"),
])
def test_cli_refuses_bad_brand_options_before_scanning(tmp_path, args):
    out = tmp_path / "x.pdf"
    proc = posture("scan", "--simulate", "typical", "--users", "20", "--output", str(out), *args)
    assert proc.returncode == 2, proc.stderr
    assert not out.exists()


def test_cli_bad_logo_is_a_usage_error(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    proc = posture("scan", "--simulate", "typical", "--users", "20", "--format", "pdf", "--output",
                   str(tmp_path / "x.pdf"), "--brand-logo", str(logo))
    assert proc.returncode == 2 and "image could not be read" in proc.stderr


def test_cli_unreachable_tenant_writes_no_report(tmp_path):
    out = tmp_path / "x.pdf"
    proc = posture("scan", "--simulate", "revoked", "--format", "pdf", "--output", str(out))
    assert proc.returncode == 3
    assert not out.exists()


def test_the_cycle_collector_runs_again_after_a_render_even_a_failed_one():
    import gc

    import jinja2

    from portal.services.reports import render_pdf

    assert gc.isenabled()
    with pytest.raises(jinja2.UndefinedError):
        render_pdf("reports/executive.html")  # no report given: the template cannot render
    assert gc.isenabled()
