"""The one pager of every list: it keeps the page's filters and can page a second list on the same page."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def pager(query: str, **context) -> str:
    request = RequestFactory().get(f"/list/?{query}")
    return render_to_string("core/partials/pager.html", {"request": request, **context})


def test_the_pager_keeps_the_filters_and_replaces_the_page():
    html = pager("state=confirmed&page=2", page=Paginator(range(100), 10).get_page(2))
    assert 'href="?state=confirmed&page=1"' in html
    assert 'href="?state=confirmed&page=3"' in html


def test_a_second_list_pages_by_its_own_parameter_and_keeps_the_first_lists_page():
    html = pager("page=2&idle_page=1", page=Paginator(range(100), 10).get_page(1), param="idle_page")
    assert 'href="?page=2&idle_page=2"' in html
    assert "idle_page=0" not in html


def test_one_page_shows_no_pager():
    assert pager("", page=Paginator(range(5), 10).get_page(1)).strip() == ""
