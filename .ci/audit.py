#!/usr/bin/env python3
"""``make audit``: known vulnerabilities in what Linli installs, failing only when a fix exists.

* Python: ``pip-audit`` over the installed environment (``.venv``), leaving out Linli itself (an
  editable install, ``--skip-editable``), as JSON.
* JavaScript: ``npm audit`` of the libraries Linli serves (``--omit=dev``), as JSON, at
  ``NPM_AUDIT_LEVEL`` (low, moderate, high, critical; default moderate) and above.

Every vulnerability found is listed with the versions that fix it. The exit status is 1 when any of
them has a fix (a pin to raise in pyproject.toml or package.json), 0 otherwise: a vulnerability
nobody has fixed yet is reported and does not stop CI. When an advisory service cannot be reached
(no network, a mirror without the audit endpoint), that is said loudly; ``AUDIT_REQUIRE_SERVICE=1``
(a CI with the internet) makes it a failure too, so an audit that did not run never passes as clean.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEVERITIES = ["info", "low", "moderate", "high", "critical"]


def pip_findings(report: dict) -> tuple[list[str], list[str], list[str]]:
    """(vulnerabilities with a fix, those without, packages that could not be audited) of a
    ``pip-audit --format json`` report."""
    fixable, unfixable, skipped = [], [], []
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            skipped.append(f"{dependency['name']}: {dependency['skip_reason']}")
            continue
        for vuln in dependency.get("vulns", []):
            names = ", ".join([vuln["id"], *vuln.get("aliases", [])])
            line = f"{dependency['name']} {dependency.get('version', '?')}: {names}"
            if vuln.get("fix_versions"):
                fixable.append(f"{line} — fixed in {', '.join(vuln['fix_versions'])}")
            else:
                unfixable.append(f"{line} — no fixed version yet")
    return fixable, unfixable, skipped


def npm_findings(report: dict, level: str) -> tuple[list[str], list[str]]:
    """(vulnerabilities with a fix, those without) at ``level`` or above of an ``npm audit --json`` report."""
    floor = SEVERITIES.index(level)
    fixable, unfixable = [], []
    for name, vuln in sorted(report.get("vulnerabilities", {}).items()):
        severity = vuln.get("severity", "info")
        if SEVERITIES.index(severity) < floor:
            continue
        advisories = [v.get("url") or v.get("title") for v in vuln.get("via", []) if isinstance(v, dict)]
        line = f"{name} {vuln.get('range', '')} ({severity}): {', '.join(a for a in advisories if a) or 'through ' + ', '.join(str(v) for v in vuln.get('via', []))}"
        fix = vuln.get("fixAvailable")
        if fix:
            target = f"{fix['name']}@{fix['version']}" + (" (a major version)" if fix.get("isSemVerMajor") else "") \
                if isinstance(fix, dict) else "npm audit fix"
            fixable.append(f"{line} — fixed by {target}")
        else:
            unfixable.append(f"{line} — no fix available")
    return fixable, unfixable


def _run(command: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout, done.stderr


def audit_python() -> tuple[list[str], list[str], str | None]:
    code, out, err = _run([sys.executable, "-m", "pip_audit", "--skip-editable", "--format", "json",
                           "--progress-spinner", "off", "--desc", "off"])
    try:
        report = json.loads(out)
    except ValueError:
        return [], [], f"pip-audit did not run (exit {code}): {err.strip()[-500:]}"
    fixable, unfixable, skipped = pip_findings(report)
    audited = len(report.get("dependencies", [])) - len(skipped)
    problem = None
    if skipped and audited == 0:
        problem = f"pip-audit could not look up any of the {len(skipped)} packages (the PyPI advisory service is out of reach)"
    elif skipped:
        print(f"pip-audit: {len(skipped)} packages not audited: " + "; ".join(skipped[:5]) + ("…" if len(skipped) > 5 else ""))
    print(f"pip-audit: {audited} packages audited")
    return fixable, unfixable, problem


def audit_javascript(level: str) -> tuple[list[str], list[str], str | None]:
    code, out, err = _run(["npm", "audit", "--omit=dev", "--json", f"--audit-level={level}"])
    try:
        report = json.loads(out)
    except ValueError:
        return [], [], f"npm audit did not run (exit {code}): {err.strip()[-500:]}"
    if "vulnerabilities" not in report:
        message = report.get("message") or report.get("error", {}).get("summary") or err.strip()[-500:]
        return [], [], f"npm audit could not reach the advisory service: {message}"
    fixable, unfixable = npm_findings(report, level)
    print(f"npm audit: {report.get('metadata', {}).get('dependencies', {}).get('prod', '?')} packages audited")
    return fixable, unfixable, None


def main() -> int:
    level = os.environ.get("NPM_AUDIT_LEVEL", "moderate")
    if level not in SEVERITIES:
        print(f"NPM_AUDIT_LEVEL must be one of {', '.join(SEVERITIES)}, not {level!r}")
        return 2
    require_service = os.environ.get("AUDIT_REQUIRE_SERVICE", "") in ("1", "true", "yes")
    fixes_exist, unaudited = False, []
    for title, (fixable, unfixable, problem) in (("Python packages", audit_python()),
                                                  ("JavaScript libraries", audit_javascript(level))):
        for line in fixable:
            print(f"VULNERABLE {title}: {line}")
        for line in unfixable:
            print(f"known, not fixed yet ({title}): {line}")
        if problem:
            print(f"NOT AUDITED {title}: {problem}" + ("" if require_service else " (AUDIT_REQUIRE_SERVICE=1 makes this fail)"))
            unaudited.append(title)
        fixes_exist = fixes_exist or bool(fixable)
    failed = fixes_exist or bool(unaudited and require_service)
    verdict = ["FAILED" if failed else "no known vulnerability with a fix"]
    if fixes_exist:
        verdict.append("raise the pins listed above to a fixed version")
    if unaudited:
        verdict.append(f"{' and '.join(unaudited)} could not be audited here")
    print("audit: " + "; ".join(verdict))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
