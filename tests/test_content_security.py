"""The Content-Security-Policy every page carries, and what lets pages live with it: no template
holds an inline script, an on…= attribute or a javascript: address (pages ask core/linli.js for
behaviour through data-* attributes); every static file a template names is one Linli serves
(core.staticfiles); the API documentation is Swagger UI from Linli's own static files. That the
pages work in a browser under the policy: tests/test_e2e_content_security.py."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.test import RequestFactory

from core.middleware import ContentSecurityPolicyMiddleware, content_security_policy

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", "staticfiles", "var", "media", "test-artifacts", ".git"}


def templates() -> list[Path]:
    """Every template of Linli's own (those of a ``templates`` folder, outside what is installed)."""
    return [path for path in ROOT.rglob("*.html")
            if "templates" in path.relative_to(ROOT).parts and not SKIP & set(path.relative_to(ROOT).parts)]


def test_no_template_holds_an_inline_script_an_event_attribute_or_a_javascript_address():
    found = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{where}: inline {tag}")
        found += [f"{where}: {attribute.strip()}" for attribute in re.findall(r"\son[a-z]+\s*=\s*[\"']", text)]
        found += [f"{where}: hx-on" for _ in re.findall(r"\shx-on[:-]", text)]
        found += [f"{where}: javascript: address" for _ in re.findall(r"javascript:", text, re.I)]
    assert found == [], "\n".join(found)


def test_every_static_file_a_template_names_is_served():
    missing = []
    for path in templates():
        for name in re.findall(r"{%\s*static\s+['\"]([^'\"]+)['\"]", path.read_text(encoding="utf-8")):
            if finders.find(name) is None:
                missing.append(f"{path.relative_to(ROOT)}: {name}")
    assert missing == [], "\n".join(missing)


def test_only_the_files_pages_use_of_the_front_end_packages_are_served():
    assert finders.find("vendor/htmx/htmx.min.js")
    assert finders.find("vendor/leaflet/images/marker-icon.png")
    assert finders.find("vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")
    assert finders.find("vendor/htmx/htmx.js") is None
    assert finders.find("vendor/fullcalendar-core/locales/fr.global.min.js") is None
    assert finders.find("django_htmx/htmx-2.min.js") is None
    assert finders.find("ninja/swagger-ui-bundle.js")


@pytest.mark.django_db
def test_every_page_says_its_policy_scripts_from_linli_only(client):
    answer = client.get("/accounts/login/")
    policy = dict(directive.strip().split(" ", 1) for directive in answer["Content-Security-Policy"].split(";"))
    assert policy == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self' 'unsafe-inline'", "img-src": "'self' data:",
        "font-src": "'self' data:", "connect-src": "'self'", "object-src": "'none'", "base-uri": "'self'",
        "form-action": "'self'", "frame-ancestors": "'none'",
    }
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in answer  # only over TLS in production (tests/test_production_mode.py)


def test_the_map_s_tile_server_may_send_images():
    policy = content_security_policy({"layers": [
        {"url": "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=k&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}", "subdomains": "01"},
        {"url": "https://tile.example.org:8443/{z}/{x}/{y}.png", "subdomains": ""},
        {"url": "/tiles/{z}/{x}/{y}.png", "subdomains": ""}]})
    images = next(d for d in policy.split("; ") if d.startswith("img-src "))
    assert images == ("img-src 'self' data: https://t0.tianditu.gov.cn https://t1.tianditu.gov.cn "
                      "https://tile.example.org:8443")


def test_an_answer_with_a_policy_of_its_own_keeps_it():
    sandboxed = HttpResponse(b"%PDF")
    sandboxed["Content-Security-Policy"] = "default-src 'none'; sandbox"
    answer = ContentSecurityPolicyMiddleware(lambda request: sandboxed)(RequestFactory().get("/registry/photo/1"))
    assert answer["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.django_db
def test_the_api_documentation_is_swagger_ui_from_linli_s_own_files(client):
    answer = client.get("/api/docs")
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page and "/static/ninja/swagger-ui-init.js" in page
    assert "cdn." not in page and "https://" not in page
    assert '"validatorUrl": null' in page  # no badge from swagger.io
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page) == []
