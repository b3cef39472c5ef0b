"""No text anyone typed is ever sent back as markup.

Every kind of record the authorization matrix knows how to make (tests/authz.py) is made in the home
community of the test world, and then every text field a person fills in — titles, names,
descriptions, notes, places, a resident's name — is given a piece of markup that would run if it were
rendered raw, in an element or in an attribute. The people of that community, its street, district and
city and its operator then walk every page they can reach (tests/crawl.py) and open each record's own
page; no page may carry the markup unescaped, and the escaped text must show up on many of them (so the
walk really reached it).
"""

import re

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse

from accounts.models import User
from notifications.services import notify
from registry import services as registry_services
from tests import authz
from tests.crawl import walk

pytestmark = pytest.mark.django_db

MARKUP = """<script>alert(1)</script>"'><img src=x onerror=1>"""
# What must never appear in a page: the markup as markup (in an element, or breaking out of an attribute).
RAW = ("<script>alert(1)", "<img src=x onerror=1>", """"'><img""")
ESCAPED = re.compile(r"&lt;script&gt;alert\(1\)&lt;/script&gt;")
ACCOUNTS = ("community_worker", "resident", "street_admin", "supervisor", "city_supervisor", "operator_staff")
HOME = "甲市一区一街一社"


def unescaped(html: str) -> list[str]:
    """The pieces of the markup found raw in a page."""
    return [piece for piece in RAW if piece in html]


def _marked(obj, *fields):
    """Give ``obj``'s text fields the markup (each one that exists and is long enough to hold it)."""
    values = {}
    for name in fields:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(field, "max_length", None) is None or field.max_length >= len(MARKUP):
            values[name] = MARKUP
    if values:
        type(obj)._default_manager.filter(pk=obj.pk).update(**values)
    return obj


def _plant(world):
    """Records of every module in the home community, their text fields marked up; their pages' addresses."""
    from funds.models import Project as FundProject
    from neighbourhood.models import FeedbackRequest, Need, ServiceOrder
    from registry.models import Sign, SignCleanup
    from scheduling.models import Booking
    from supervision.models import Plan, Rectification

    home = world.node(HOME)
    street = home.parent
    pages = []

    def page(name, *args):
        pages.append(reverse(name, args=args))

    site = _marked(authz._site_at(world, home), "name", "address", "notes")
    page("registry:site", site.pk)
    room = _marked(authz._room_at(world, home), "name", "notes", "equipment_notes")
    page("scheduling:room", room.pk)
    sign = registry_services.sign_record(actor=world.users["street_admin"], site=site, text="某某工作站")
    _marked(Sign.objects.get(pk=sign.pk), "text", "note")
    _marked(SignCleanup.objects.get(pk=authz._cleanup_at(world, home)), "title", "note")
    booking = _marked(Booking.objects.get(pk=authz._booking_at(world, home)), "title", "purpose")
    page("scheduling:booking", booking.pk)
    fund = _marked(authz._fund_at(world, home), "led_by", "description")
    page("funds:fund", fund.division.code)
    for income in fund.incomes.all() if hasattr(fund, "incomes") else []:
        _marked(income, "donor_name", "note")
    project = _marked(FundProject.objects.get(pk=authz._fund_project_at(world, home)), "title", "beneficiaries", "plan")
    page("funds:project", project.pk)
    agreement = _marked(authz._agreement_at(world, home), "title", "notes")
    page("operations:agreement", agreement.pk)
    for service in agreement.services.all():
        _marked(service, "name", "description")
    operator = _marked(agreement.operator, "name", "address", "notes")
    for admission in operator.admissions.all():
        _marked(admission, "scope_description")
        page("operations:admission", admission.pk)
    for report in agreement.reports.all():
        _marked(report, "note", "notes", "summary")
        page("operations:report", report.pk)
    offer = _marked(authz._offer_at(world, home), "title", "description")
    page("operations:offer", offer.pk)
    for interest in offer.interests.all():
        _marked(interest, "proposal")
    funding = _marked(authz._funding_at(world, home), "title", "conditions")
    page("operations:funding", funding.pk)
    activity = _marked(authz._activity_at(world, home), "title", "description", "place")
    page("neighbourhood:activity", activity.pk)
    page("neighbourhood:manage", activity.pk)
    authz._registration_at(world, home)
    need = _marked(Need.objects.get(pk=authz._need_at(world, home)), "title", "description", "note")
    page("neighbourhood:need", need.pk)
    order = _marked(ServiceOrder.objects.get(pk=authz._order_at(world, home)), "title", "details", "preferred_time")
    page("neighbourhood:order", order.pk)
    feedback = _marked(FeedbackRequest.objects.get(pk=authz._feedback_at(world, home)), "description", "address", "public_note")
    page("neighbourhood:feedback_detail", feedback.pk)
    volunteer = _marked(authz._volunteer_at(world, home), "real_name")
    team = _marked(authz._team_at(world, home), "name", "description")
    opportunity = _marked(authz._opportunity_at(world, home), "title", "description", "place")
    page("volunteers:opportunity", opportunity.pk)
    page("volunteers:manage", opportunity.pk)
    authz._volunteer_application_at(world, home)
    authz._volunteer_record_at(world, home)
    partnership = _marked(authz._partnership_project_at(world, home), "title", "description")
    page("governance:project", partnership.pk)
    for participation in partnership.participations.all():
        _marked(participation, "brings", "note", "description")
    refusal = _marked(authz._task_refusal_at(world, home), "title", "details")
    rectification = _marked(Rectification.objects.get(pk=authz._rectification_at(world, home)), "title", "description")
    page("supervision:rectification", rectification.pk)
    plan = _marked(Plan.objects.get(pk=authz._plan_at(world, home)), "measures")
    for milestone in plan.milestones.all():
        _marked(milestone, "title")
    network = _marked(authz._network_at(world, street), "name")
    resource = _marked(authz._open_resource_at(world, home), "name", "rules", "notes")
    page("scheduling:open_resource", resource.pk)
    for user in (world.users["resident"], volunteer.user, need.recorded_by, order.resident, feedback.submitted_by):
        _marked(user, "display_name")
    notify(user=world.users["community_worker"], title=MARKUP, body=MARKUP, url="/")
    assert team and refusal and network
    return pages


def test_the_detector_finds_markup_and_passes_escaped_text():
    assert unescaped(f"<p>{MARKUP}</p>") and unescaped(f'<input value="{MARKUP}">')
    from django.utils.html import escape

    assert not unescaped(f"<p>{escape(MARKUP)}</p><input value=\"{escape(MARKUP)}\">")


def test_no_page_shows_typed_markup_unescaped(client, world):
    pages = _plant(world)
    raw, escaped_on = [], set()

    def look(page, html):
        found = unescaped(html)
        if found:
            raw.append(f"{page.account} {page.url} (from {page.found_on}): {found}")
        if ESCAPED.search(html):
            escaped_on.add(page.url.split("?")[0])

    for account in ACCOUNTS:
        user = User.objects.get(pk=world.users[account].pk)
        client.force_login(user)
        walk(client=client, account=account, per_pattern=1, max_pages=250, keep_text=False, on_page=look)
        for url in pages:
            response = client.get(url)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                look(type("Page", (), {"account": account, "url": url, "found_on": "its own page"})(), response.content.decode())
    assert not raw, "\n".join(raw)
    # The markup really was on the pages walked: escaped, on the records' own pages and in lists.
    assert len(escaped_on) >= 25, sorted(escaped_on)


def test_the_walk_would_catch_a_page_that_renders_text_raw(client, world, monkeypatch):
    """Proof that the test has teeth: with templates' escaping switched off, the markup shows."""
    import django.template.base

    pages = _plant(world)
    monkeypatch.setattr(django.template.base, "conditional_escape", lambda value: value)
    client.force_login(world.users["community_worker"])
    shown = [url for url in pages if unescaped(client.get(url).content.decode(errors="replace"))]
    assert shown
