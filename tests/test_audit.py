"""``make audit`` (.ci/audit.py) fails on a known vulnerability with a fix, and only on those."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _audit():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PIP_REPORT = {"dependencies": [
    {"name": "django", "version": "5.2.0", "vulns": [
        {"id": "PYSEC-2025-1", "aliases": ["CVE-2025-0001"], "fix_versions": ["5.2.1", "5.1.9"]}]},
    {"name": "somelib", "version": "1.0", "vulns": [{"id": "GHSA-xxxx", "aliases": [], "fix_versions": []}]},
    {"name": "clean", "version": "2.0", "vulns": []},
    {"name": "private-wheel", "skip_reason": "Dependency not found on PyPI and could not be audited: private-wheel (0.1)"},
], "fixes": []}

NPM_REPORT = {"auditReportVersion": 2, "vulnerabilities": {
    "leaflet": {"name": "leaflet", "severity": "high", "range": "<1.9.5", "via": [{"title": "XSS", "url": "https://github.com/advisories/GHSA-1"}],
                "fixAvailable": {"name": "leaflet", "version": "1.9.5", "isSemVerMajor": False}},
    "chart.js": {"name": "chart.js", "severity": "moderate", "range": "*", "via": [{"title": "ReDoS"}], "fixAvailable": False},
    "htmx.org": {"name": "htmx.org", "severity": "low", "range": "<2", "via": [{"title": "minor"}], "fixAvailable": True},
}, "metadata": {"dependencies": {"prod": 7}}}


def test_a_python_vulnerability_with_a_fix_is_told_with_its_fixed_versions():
    fixable, unfixable, skipped = _audit().pip_findings(PIP_REPORT)
    assert fixable == ["django 5.2.0: PYSEC-2025-1, CVE-2025-0001 — fixed in 5.2.1, 5.1.9"]
    assert unfixable == ["somelib 1.0: GHSA-xxxx — no fixed version yet"]
    assert len(skipped) == 1 and skipped[0].startswith("private-wheel")


def test_npm_findings_keep_the_level_and_split_on_a_fix():
    fixable, unfixable = _audit().npm_findings(NPM_REPORT, "moderate")
    assert fixable == ["leaflet <1.9.5 (high): https://github.com/advisories/GHSA-1 — fixed by leaflet@1.9.5"]
    assert unfixable == ["chart.js * (moderate): ReDoS — no fix available"]
    fixable, _unfixable = _audit().npm_findings(NPM_REPORT, "low")
    assert len(fixable) == 2


@pytest.mark.parametrize(("python", "javascript", "require", "status"), [
    (([], ["somelib"], None), ([], [], None), False, 0),  # known but unfixed: reported, CI goes on
    ((["django"], [], None), ([], [], None), False, 1),  # a fix exists: fail
    (([], [], None), (["leaflet"], [], None), False, 1),
    (([], [], "unreachable"), ([], [], "unreachable"), False, 0),  # said loudly, not a failure here
    (([], [], "unreachable"), ([], [], None), True, 1),  # a CI with the internet: an audit that did not run fails
])
def test_the_audit_fails_only_on_a_fix_or_when_told_to_need_the_service(monkeypatch, capsys, python, javascript, require, status):
    audit = _audit()
    monkeypatch.setattr(audit, "audit_python", lambda: python)
    monkeypatch.setattr(audit, "audit_javascript", lambda level: javascript)
    monkeypatch.setenv("AUDIT_REQUIRE_SERVICE", "1" if require else "")
    assert audit.main() == status
    assert "audit:" in capsys.readouterr().out
