"""The audit trail reads as people write: every action has a label, every change a field label and
a value in words, and every time is the city's (Asia/Shanghai), never UTC."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from accounts.models import Role, User
from audit.actions import ACTION_LABELS, action_label
from audit.changes import change_rows
from audit.models import AuditEvent
from registry.models import Site
from tests.crawl import problems_in, visible_text

ROOT = Path(settings.BASE_DIR)
LITERAL = re.compile(r"""action=["']([a-z_]+\.[a-z_]+\.[a-z_]+)["']""")
PATTERN = re.compile(r"""action=f["']([a-z_]+\.[a-z_]+)\.\{[^}]+\}["']""")


def _recorded_actions() -> tuple[set[str], set[str]]:
    """The actions the code records: literal names, and the stems of names built from a state."""
    literal, stems = set(), set()
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "node_modules" in path.parts or "tests" in path.parts or path.name.startswith("test_"):
            continue
        text = path.read_text(encoding="utf-8")
        literal |= set(LITERAL.findall(text))
        stems |= set(PATTERN.findall(text))
    return literal, stems


def _states(stem: str) -> list[str]:
    """The states a name built as ``<stem>.{status}`` can take."""
    from funds.models import ProjectStatus  # noqa: F401 — funds.project.{action} names its steps, listed below
    from neighbourhood.models import (
        FeedbackStatus,
        InvitationStatus,
        NeedStatus,
        OrderStatus,
        RegistrationStatus,
    )
    from operations.models import AdmissionStatus, FundingStatus, MilestoneStatus
    from registry.models import SuggestionKind
    from scheduling.models import BookingStatus

    return {
        "scheduling.booking": [s for s in BookingStatus.values if s not in ("pending", "confirmed", "offered")],
        "neighbourhood.need": NeedStatus.values,
        "neighbourhood.invitation": [s for s in InvitationStatus.values if s != "sent"],
        "neighbourhood.registration": RegistrationStatus.values,
        "neighbourhood.order": OrderStatus.values,
        "neighbourhood.feedback": [s for s in FeedbackStatus.values if s != "submitted"],
        "operations.admission": [s for s in AdmissionStatus.values if s != "applied"],
        "operations.funding": [s for s in FundingStatus.values if s != "active"],
        "operations.milestone": [s for s in MilestoneStatus.values if s != "pending"],
        "funds.project": ["proposed", "voted", "reviewed", "applied", "approved", "returned", "withdrawn", "disbursed",
                          "evidenced", "completed"],
        "registry.online_services": ["on", "off"],
        "registry.suggestion": SuggestionKind.values,
    }[stem]


def test_every_action_the_code_records_has_a_label():
    literal, stems = _recorded_actions()
    assert len(literal) > 60 and stems, "the scan found the code's actions"
    names = literal | {f"{stem}.{state}" for stem in stems for state in _states(stem)}
    missing = sorted(name for name in names if name not in ACTION_LABELS)
    assert missing == []


def test_an_action_saved_in_the_back_office_is_named_by_its_model():
    assert action_label("registry.site.updated") == "修改场所"
    assert action_label("registry.functioncatalogue.updated") == "registry.functioncatalogue.updated"  # no such model
    assert "行政区划" in action_label("org.division.created")


def _event(model, changes) -> AuditEvent:
    return AuditEvent(action="registry.site.updated", target_type=ContentType.objects.get_for_model(model), target_id="1",
                      changes=changes)


@pytest.mark.django_db
def test_changes_read_as_people_write_them():
    event = _event(Site, {
        "opening_hours": [{"1": [["08:00", "21:00"]], "2": [["08:00", "21:00"]], "3": [["08:00", "21:00"]],
                           "4": [["08:00", "21:00"]], "5": [["08:00", "21:00"]]}, {"6": [["09:00", "12:00"]]}],
        "kind": ["service_station", "neighbourhood_centre"],
        "independent_entrance": [False, True],
        "floor_area": ["1000.00", "1320.00"],
    })
    change_rows([event])
    rows = dict(event.change_rows)
    assert rows["开放时间"] == "周一至周五 08:00-21:00 → 周六 09:00-12:00"
    assert rows["类型"] == "社区服务站 → 邻里中心"
    assert rows["沿街独立出入口"] == "否 → 是"
    assert rows["建筑面积（平方米）"] == "1000.00 → 1320.00"


@pytest.mark.django_db
def test_times_and_recurrences_in_changes_are_the_citys(world):
    from scheduling.models import Series

    event = _event(Series, {"rrule": "FREQ=WEEKLY;COUNT=7", "dtstart": "2026-05-01T01:30:00+00:00"})
    change_rows([event])
    rows = dict(event.change_rows)
    assert "每周，共7次" in rows.values()
    assert "2026-05-01 09:30" in rows.values()


@pytest.mark.django_db
def test_the_trail_shows_times_in_the_citys_time_zone_and_no_codes(world, client):
    division = world.node("甲市一区一街一社")
    at = datetime(2026, 5, 1, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai
    event = AuditEvent.objects.create(at=at, actor_name="schedule", action="neighbourhood.need.met", division=division,
                                      target_type=ContentType.objects.get_for_model(division), target_id=str(division.pk),
                                      target_repr=division.name, changes={"community_type": ["", "old_estate"]})
    client.force_login(world.users[Role.SUPERVISOR])
    listing = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    detail = client.get(f"/audit/{event.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2026-05-01 09:30" in listing and "01:30" not in listing
    assert "2026-05-01 09:30:00" in detail
    for page in (listing, detail):
        text, _links = visible_text(page)
        assert "需求已满足" in text and "老旧小区" in text and "系统定时任务" in text
        names = set(User.objects.values_list("display_name", flat=True))  # the test world names people like usernames
        assert [problem for problem in problems_in(text) if problem[1] not in names] == []
    assert str(event).startswith("2026-05-01 09:30")
