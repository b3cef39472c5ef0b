"""Walks the pages of the demo city as each of its accounts, the way a person clicks through them.

Signed in as one account, the walk starts at the home page and follows every link and htmx
fragment on each page it opens (same site, GET), so it reaches what the menus, dashboards and
lists offer that person. A list of a thousand rows does not mean a thousand pages: each URL
pattern (with the names of its query parameters) is opened at most ``per_pattern`` times per
account. For each page it keeps the server time, the size of the HTML, the number of queries
and the text a person reads (with ``visible_text``), so the page-budget benchmark and the
page-language test judge the same walk.
"""

import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit

# Every account of the demo city, each a role at a node (demo/accounts.py).
DEMO_ACCOUNTS = ("minzheng", "minzheng_qu", "jiedao", "jiedao2", "shequ", "shequ2", "yunying", "cishan", "jijin", "jumin",
                 "danwei")

# Not pages: leaving, switching language, the JSON API, the back office, files served as downloads.
SKIP_PREFIXES = ("/accounts/logout", "/i18n/", "/api/", "/admin/", "/static/", "/media/", "/open311/")
SKIP_PATTERNS = re.compile(r"(\.ics|\.xlsx|\.csv|\.pdf|\.json|\.svg|\.png|\.jpg)(\?|$)|/(export|download|template|feed|photo|file|evidence|scan)s?(/|$)")


@dataclass
class Page:
    account: str
    url: str
    status: int
    seconds: float
    size: int
    queries: int
    content_type: str
    text: str = ""
    found_on: str = ""


@dataclass
class Walk:
    pages: list[Page] = field(default_factory=list)

    def html_pages(self) -> list[Page]:
        return [p for p in self.pages if p.status == 200 and p.content_type.startswith("text/html")]


class _Links(HTMLParser):
    """The links and htmx fragments of a page, and the words a person reads on it."""

    INVISIBLE = {"script", "style", "template", "noscript", "head", "title"}
    # Text marked translate="no" (HTML's own mark for "not words of the page's language": a
    # username typed at sign-in) is not read as the page's words.
    READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.words: list[str] = []
        self._hidden_depth = 0
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and "download" not in attrs:
            self.links.append(attrs["href"])
        for name in ("hx-get",):
            if attrs.get(name):
                self.links.append(attrs[name])
        if tag in self.INVISIBLE or attrs.get("translate") == "no":
            self._hidden_depth += 1
            self._stack.append((tag, True))
            return
        if tag in ("br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"):
            if self._hidden_depth == 0:
                self._read_attributes(tag, attrs)
            return
        self._stack.append((tag, False))
        if self._hidden_depth == 0:
            self._read_attributes(tag, attrs)

    def _read_attributes(self, tag, attrs):
        if attrs.get("type") == "hidden" or "hidden" in attrs:
            return
        for name in self.READ_ATTRIBUTES:
            if attrs.get(name):
                self.words.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.words.append(attrs["value"])

    def handle_endtag(self, tag):
        if not any(open_tag == tag for open_tag, _hides in self._stack):
            return
        while self._stack:
            popped, hides = self._stack.pop()
            if hides:
                self._hidden_depth -= 1
            if popped == tag:
                break

    def handle_data(self, data):
        if self._hidden_depth == 0 and data.strip():
            self.words.append(data.strip())


def visible_text(html: str) -> tuple[str, list[str]]:
    parser = _Links()
    parser.feed(html)
    return "\n".join(parser.words), parser.links


def pattern_of(path: str, query: str) -> str:
    """The URL's route (its resolver pattern) and the names of its query parameters."""
    from django.urls import Resolver404, resolve

    try:
        route = resolve(path).route
    except Resolver404:
        route = path
    names = sorted({name for name, _ in parse_qsl(query, keep_blank_values=True)})
    return route + ("?" + "&".join(names) if names else "")


def walk(*, client, account: str, start: str = "/", per_pattern: int = 2, max_pages: int = 400, keep_text: bool = True,
         on_page=None) -> Walk:
    """Every page ``account`` reaches from ``start`` (``client`` is signed in as them). ``on_page(page, html)``,
    when given, sees each HTML page's markup as sent (tests/test_markup_escaped.py looks for markup in it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = Walk()
    seen_urls: set[str] = set()
    per_route: dict[str, int] = {}
    queue = deque([(start, "")])
    while queue and len(result.pages) < max_pages:
        url, found_on = queue.popleft()
        if url in seen_urls:
            continue
        seen_urls.add(url)
        parts = urlsplit(url)
        key = pattern_of(parts.path, parts.query)
        if per_route.get(key, 0) >= per_pattern:
            continue
        per_route[key] = per_route.get(key, 0) + 1
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            seconds = time.perf_counter() - began
        content_type = response.get("Content-Type", "")
        body = response.content if not getattr(response, "streaming", False) else b"".join(response.streaming_content)
        page = Page(account=account, url=url, status=response.status_code, seconds=seconds, size=len(body),
                    queries=len(queries), content_type=content_type, found_on=found_on)
        result.pages.append(page)
        if response.status_code in (301, 302) and response.get("Location"):
            target = urljoin(url, response["Location"])
            if _follow(target):
                queue.append((_local(target), url))
            continue
        if response.status_code != 200 or not content_type.startswith("text/html"):
            continue
        html = body.decode(response.charset or "utf-8", errors="replace")
        if on_page is not None:
            on_page(page, html)
        text, links = visible_text(html)
        if keep_text:
            page.text = text
        for link in links:
            target = urljoin(url, link)
            if _follow(target):
                queue.append((_local(target), url))
    return result


def _local(url: str) -> str:
    url = urldefrag(url)[0]
    parts = urlsplit(url)
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + ("?" + query if query else "")


def _follow(url: str) -> bool:
    parts = urlsplit(urldefrag(url)[0])
    if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "testserver"):
        return False
    if not parts.path.startswith("/") or parts.path.startswith(SKIP_PREFIXES):
        return False
    return not SKIP_PATTERNS.search(parts.path + ("?" + parts.query if parts.query else ""))


# What a person must never read on a page: the program's own words.
INTERNAL_CODE = [
    ("dotted action name", re.compile(r"\b[a-z]+\.[a-z_]+\.[a-z_]+\b")),
    ("snake_case code", re.compile(r"\b[a-z]+_[a-z_]+\b")),
    ("Python value", re.compile(r"[\[{]'|'[\]}]|\bNone\b|\bTrue\b|\bFalse\b|<[A-Za-z]+ object at|Decimal\(")),
    ("state arrow", re.compile(r"\b[a-z_]+ → [a-z_]+\b|\b[a-z_]+ -> [a-z_]+\b")),
    ("tick count", re.compile(r"✓\s*\d")),
]

# Latin words a Chinese page may show: product and format names, units, and the language switch.
ALLOWED_LATIN = {
    "linli", "excel", "icalendar", "ical", "openstreetmap", "osm", "pbf", "api", "json", "pdf", "qr", "csv", "geojson",
    "english", "xlsx", "ics", "toml", "sms", "leaflet", "id", "url", "http", "https", "wifi", "km", "m", "h", "min",
    "pm", "am", "open311", "georeport", "wgs84", "gcj02", "bd09", "x", "p", "ok", "cbc", "highs", "k",
    "outlook",  # the calendar program, named beside 钉钉 and 企业微信 where a room's calendar is subscribed to
    "aed",  # 自动体外除颤器: written AED on Chinese signage and in residents' own words
}
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9@._/-])[A-Za-z][A-Za-z]{2,}(?![A-Za-z0-9@_/-])")


def problems_in(text: str, *, allowed: set[str] = frozenset()) -> list[tuple[str, str]]:
    """The internal codes and untranslated English words in a page's visible text."""
    found = []
    for kind, pattern in INTERNAL_CODE:
        for match in pattern.finditer(text):
            if match.group(0) not in allowed:
                found.append((kind, match.group(0)))
    for match in LATIN_WORD.finditer(text):
        word = match.group(0)
        if word.lower() not in ALLOWED_LATIN and word not in allowed:
            found.append(("English word", word))
    return found


def main(argv=None) -> None:
    """``python -m tests.crawl [account ...]``: walk the demo city in db.sqlite3 (or DATABASE_URL)
    and print each page's time, size and queries, the pages that failed, and what a person would
    read that they should not."""
    import argparse
    import json
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.test import Client

    from accounts.models import User

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("accounts", nargs="*", default=list(DEMO_ACCOUNTS))
    parser.add_argument("--per-pattern", type=int, default=2)
    parser.add_argument("--json", help="write every page as JSON to this file")
    args = parser.parse_args(argv)
    rows = []
    for account in args.accounts:
        client = Client()
        client.force_login(User.objects.get(username=account))
        for page in walk(client=client, account=account, per_pattern=args.per_pattern).pages:
            problems = problems_in(page.text, allowed={account})
            rows.append({"account": account, "url": page.url, "status": page.status, "ms": round(page.seconds * 1000),
                         "kb": round(page.size / 1024), "queries": page.queries, "found_on": page.found_on,
                         "problems": problems})
            if page.status not in (200, 301, 302) or problems:
                shown = "; ".join(f"{kind}: {word}" for kind, word in problems[:8])
                print(f"{page.status} {account} {page.url} (from {page.found_on}) {shown}")
    print("slowest:")
    for row in sorted(rows, key=lambda r: -r["ms"])[:10]:
        print(f"  {row['ms']:>6} ms {row['kb']:>5} KB {row['queries']:>3} queries  {row['account']} {row['url']}")
    print(f"{len(rows)} pages, {sum(len(r['problems']) for r in rows)} problems, "
          f"{sum(r['status'] not in (200, 301, 302) for r in rows)} refused or failed")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
