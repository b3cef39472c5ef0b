"""Linli in production mode, for real: gunicorn (``config/gunicorn.py``, two workers) on a loopback
port, on a copy of the test database, with Redis where one answers, told it sits behind a TLS proxy
(the default of production). The requests here are the proxy's: plain HTTP to 127.0.0.1 carrying
``X-Forwarded-Proto: https``, with the https origin the browser sent. PostgreSQL and Redis are
reached through gates (``tests.servers.Gate``) that the outage tests shut — new connections
refused, open ones cut, as when a server goes down — and open again, Linli untouched.
"""

import json
import re
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest

from tests.servers import (
    Gate,
    Gunicorn,
    collected_static,
    get,
    local_redis_url,
    production_env,
    served_database,
)

# The served database is a copy of the test database, which must therefore be set up.
pytestmark = pytest.mark.django_db

PASSWORD = "h1-correct-horse-battery"


def unavailable_message() -> str:
    """The 503's message as the page and the API say it in Chinese (服务暂时不可用…, once translated)."""
    from django.utils import translation

    from core.views import UNAVAILABLE_MESSAGE

    with translation.override("zh-hans"):
        return str(UNAVAILABLE_MESSAGE)


@pytest.fixture(scope="module")
def linli(django_db_setup, django_db_blocker, tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    static = collected_static()
    redis = local_redis_url()
    gates = {}
    with served_database(django_db_blocker, users={"h1_staff": PASSWORD}, folder=folder) as (url, vendor):
        if vendor == "postgresql":
            address = urlsplit(url)
            gates["database"] = Gate((address.hostname, address.port or 5432)).open()
            url = address._replace(netloc=f"{address.username}@127.0.0.1:{gates['database'].port}").geturl()
        if redis:
            address = urlsplit(redis)
            gates["redis"] = Gate((address.hostname, address.port or 6379)).open()
            redis = address._replace(netloc=f"127.0.0.1:{gates['redis'].port}").geturl()
        env = production_env(DATABASE_URL=url, REDIS_URL=redis, STATIC_ROOT=str(static), MEDIA_ROOT=str(folder / "media"))
        server = Gunicorn(env, log=folder / "gunicorn.log").start()
        try:
            yield SimpleNamespace(server=server, base=server.base, gates=gates, vendor=vendor)
        finally:
            server.stop()
            for gate in gates.values():
                gate.shut()


class Proxied:
    """What the TLS proxy sends Linli for one browser: plain HTTP on loopback, ``X-Forwarded-Proto:
    https``, the browser's https origin and its cookies (Secure ones included: the browser has them
    over TLS)."""

    def __init__(self, base: str):
        self.base = base
        self.origin = "https://" + urlsplit(base).netloc
        self.cookies: dict[str, str] = {}
        self.set_cookies: dict[str, str] = {}

    def _headers(self, extra=None) -> dict:
        headers = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return headers

    def _keep(self, headers) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(line)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
                self.set_cookies[name] = line

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None):
        import urllib.error
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        data = urlencode(form).encode() if form is not None else None
        extra = dict(headers or {})
        if data is not None:
            extra.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin,
                          "Referer": self.origin + path})
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=self._headers(extra))
        try:
            answer = urllib.request.build_opener(NoRedirect).open(request, timeout=20)
        except urllib.error.HTTPError as error:
            answer = error
        with answer:
            self._keep(answer.headers)
            return answer.status, answer.headers, answer.read().decode("utf-8", "replace")

    def sign_in(self, username: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/?next=/")
        assert status == 200, page[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, headers, page = self.request("POST", "/accounts/login/?next=/",
                                             form={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
        assert status == 302, page[:2000]
        assert headers["Location"] == "/"


def test_behind_the_tls_proxy_a_user_signs_in_over_plain_http_on_loopback(linli):
    browser = Proxied(linli.base)
    status, headers, page = browser.request("GET", "/accounts/login/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    browser.sign_in("h1_staff")
    session = browser.set_cookies["sessionid"].lower()
    assert "secure" in session and "httponly" in session and "samesite=lax" in session
    assert "secure" in browser.set_cookies["csrftoken"].lower()
    status, _, page = browser.request("GET", "/")
    assert status == 200
    assert "h1_staff" in page and 'action="/accounts/logout/"' in page


def test_without_the_proxy_header_pages_are_sent_to_https_and_probes_are_not(linli):
    status, headers, _ = get(f"{linli.base}/accounts/login/")
    assert status == 301
    assert headers["Location"] == f"https://127.0.0.1:{linli.server.port}/accounts/login/"
    assert "Strict-Transport-Security" not in headers  # HSTS only over TLS
    status, headers, text = get(f"{linli.base}/healthz")
    assert (status, json.loads(text)) == (200, {"status": "ok"})
    assert get(f"{linli.base}/readyz")[0] in (200, 503)


def test_every_page_forbids_inline_scripts_and_framing(linli):
    status, headers, page = Proxied(linli.base).request("GET", "/accounts/login/")
    assert status == 200
    policy = dict(directive.strip().split(" ", 1) for directive in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "<script>" not in page and " onclick=" not in page


def test_static_files_are_served_by_whitenoise_compressed_and_cached_for_good(linli):
    _, _, page = Proxied(linli.base).request("GET", "/accounts/login/")
    stylesheet = re.search(r'href="(/static/vendor/bootstrap/css/bootstrap\.min\.[0-9a-f]{12}\.css)"', page).group(1)
    status, headers, _ = get(linli.base + stylesheet, headers={"Accept-Encoding": "br, gzip", "X-Forwarded-Proto": "https"})
    assert status == 200
    assert headers["Content-Encoding"] in ("br", "gzip")
    assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]


def metric(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name + ("{" + wanted + "}" if labels else "")) + r" ([0-9.e+]+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_add_up_every_worker_and_keep_a_killed_worker_s_counts(linli):
    import os
    import signal
    import time

    before = metric(get(f"{linli.base}/metrics")[2], "linli_http_requests_total", kind="page", status="2xx")
    proxied = Proxied(linli.base)
    for _ in range(30):
        assert proxied.request("GET", "/accounts/login/")[0] == 200
    for _ in range(4):  # each scrape is answered by either worker: each adds up both
        status, headers, text = get(f"{linli.base}/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert metric(text, "linli_http_requests_total", kind="page", status="2xx") >= before + 30
        assert metric(text, "linli_http_request_duration_seconds_count", kind="page") >= before + 30
        assert metric(text, "linli_up", check="database") == 1
    victim = linli.server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (victim in linli.server.worker_pids() or len(linli.server.worker_pids()) < 2):
        time.sleep(0.3)
    assert victim not in linli.server.worker_pids() and len(linli.server.worker_pids()) == 2
    text = get(f"{linli.base}/metrics")[2]
    assert metric(text, "linli_http_requests_total", kind="page", status="2xx") >= before + 30


def test_metrics_are_refused_to_a_request_that_came_through_the_proxy(linli):
    status, _, text = get(f"{linli.base}/metrics", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert status == 403
    assert "linli_" not in text


def assert_503_page(answer) -> None:
    status, headers, page = answer
    assert status == 503, page[:1000]
    assert unavailable_message() in page and '<html lang="zh-hans">' in page
    assert "Traceback" not in page
    assert headers["Retry-After"] == "5"


def assert_503_api(answer) -> None:
    status, headers, text = answer
    assert status == 503, text[:1000]
    body = json.loads(text)
    assert body["code"] == "unavailable" and body["message"] == unavailable_message() and body["fields"] == {}


def test_while_redis_is_down_pages_and_the_api_answer_503_and_work_again_after(linli):
    if "redis" not in linli.gates:
        pytest.skip("no Redis on 127.0.0.1:6379 here (and REDIS_URL is not set)")
    browser = Proxied(linli.base)
    browser.sign_in("h1_staff")
    assert browser.request("GET", "/")[0] == 200
    linli.gates["redis"].shut()
    try:
        for _ in range(3):
            assert_503_page(browser.request("GET", "/"))
            assert_503_api(browser.request("GET", "/api/v1/divisions"))
        status, _, text = get(f"{linli.base}/readyz")
        assert status == 503 and "redis" in json.loads(text)["failed"]
        assert "Connection" in json.loads(text)["checks"]["redis"]["detail"]
        assert get(f"{linli.base}/healthz")[0] == 200
    finally:
        linli.gates["redis"].open()
    for _ in range(4):
        status, _, page = browser.request("GET", "/")
        assert status == 200 and "h1_staff" in page
        assert browser.request("GET", "/api/v1/divisions")[0] == 200
    assert json.loads(get(f"{linli.base}/readyz")[2])["checks"]["redis"]["ok"] is True


def test_while_postgresql_is_down_pages_and_the_api_answer_503_and_work_again_after(linli):
    if linli.vendor != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite file has no server to lose (CI runs this on PostgreSQL)")
    browser = Proxied(linli.base)
    browser.sign_in("h1_staff")
    assert browser.request("GET", "/")[0] == 200
    linli.gates["database"].shut()
    try:
        for _ in range(3):
            assert_503_page(browser.request("GET", "/"))
            stranger = Proxied(linli.base)
            status, _, page = stranger.request("GET", "/accounts/login/")  # needs no database: served
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            assert_503_page(stranger.request("POST", "/accounts/login/", form={
                "csrfmiddlewaretoken": token, "username": "h1_staff", "password": PASSWORD}))
            assert_503_api(browser.request("GET", "/api/v1/divisions"))
        status, _, text = get(f"{linli.base}/readyz")
        assert status == 503 and "database" in json.loads(text)["failed"]
        assert get(f"{linli.base}/healthz")[0] == 200
    finally:
        linli.gates["database"].open()
    for _ in range(4):  # the first request after PostgreSQL is back is served: no restart of Linli
        status, _, page = browser.request("GET", "/")
        assert status == 200 and "h1_staff" in page
        assert browser.request("GET", "/api/v1/divisions")[0] == 200
    assert json.loads(get(f"{linli.base}/readyz")[2])["checks"]["database"]["ok"] is True
