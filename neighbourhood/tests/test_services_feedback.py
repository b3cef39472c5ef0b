"""Feedback (诉求反馈): routed by category, deadlines from the pack, updates with public notes, photos checked."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import PermissionDenied, ValidationFailed
from notifications.models import Notification
from tests.images import jpeg_bytes

from .. import selectors, services
from ..models import FeedbackRequest

pytestmark = pytest.mark.django_db


def photo(data=None, name="a.jpg"):
    return SimpleUploadedFile(name, data if data is not None else jpeg_bytes(), content_type="image/jpeg")


def test_a_request_goes_to_the_community_or_the_street_with_its_deadline(world, community, resident):
    rubbish = services.feedback_submit(actor=resident, category="environment_sanitation", description="3号楼垃圾两天没清运",
                                       photo=photo(), address="3号楼", latitude="24.50", longitude="118.10")
    assert rubbish.routed_to == community and (rubbish.due_at - rubbish.created_at) == timedelta(days=3)
    assert rubbish.photo.name.startswith(f"feedback/{community.code}/")
    road = services.feedback_submit(actor=resident, category="road_drainage", description="路口积水")
    assert road.routed_to == community.parent and (road.due_at - road.created_at) == timedelta(days=10)


def test_bad_feedback_is_refused_and_nothing_is_written(world, resident):
    with pytest.raises(ValidationFailed, match="未知|Unknown"):
        services.feedback_submit(actor=resident, category="no_such_thing", description="x")
    with pytest.raises(ValidationFailed, match="照片|photo"):
        services.feedback_submit(actor=resident, category="other", description="x", photo=photo(b"%PDF-1.4 not a photo", "a.pdf"))
    big = photo(jpeg_bytes() + b"\0" * (5 * 1024 * 1024))
    with pytest.raises(ValidationFailed, match="5"):
        services.feedback_submit(actor=resident, category="other", description="x", photo=big)
    with pytest.raises(ValidationFailed):
        services.feedback_submit(actor=resident, category="other", description="  ")
    assert not FeedbackRequest.objects.exists()


def test_staff_it_is_routed_to_move_it_on_and_the_resident_hears_each_step(world, community, resident, worker):
    item = services.feedback_submit(actor=resident, category="noise", description="楼上装修到晚上十点")
    services.feedback_update(actor=worker, request=item, status="accepted", public_note="已联系物业")
    with pytest.raises(ValidationFailed):
        services.feedback_update(actor=worker, request=item, status="resolved")  # closing needs a note
    services.feedback_update(actor=worker, request=item, status="resolved", public_note="已与业主约定施工时间")
    item.refresh_from_db()
    assert item.is_closed and item.closed_at and item.public_note == "已与业主约定施工时间"
    assert Notification.objects.filter(user=resident).count() == 2
    assert selectors.feedback_figures(user=worker, within=community)["closed"] == 1
    street_item = services.feedback_submit(actor=resident, category="illegal_construction", description="一楼私搭阳光房")
    with pytest.raises(PermissionDenied):
        services.feedback_update(actor=worker, request=street_item, status="accepted", public_note="x")  # the street's
    services.feedback_update(actor=world.users["street_admin"], request=street_item, status="in_progress", public_note="执法队已到场")


def test_the_queue_puts_the_soonest_due_first_and_flags_overdue(world, community, resident, worker):
    later = services.feedback_submit(actor=resident, category="greening", description="树枝挡窗")
    sooner = services.feedback_submit(actor=resident, category="environment_sanitation", description="垃圾满溢")
    overdue = services.feedback_submit(actor=resident, category="noise", description="夜间噪音", now=later.created_at - timedelta(days=5))
    queue = list(selectors.feedback_queue(user=worker, within=community))
    assert queue == [overdue, sooner, later]
    assert selectors.feedback_figures(user=worker, within=community)["overdue"] == 1


def test_the_queue_flags_requests_due_within_the_packs_window_and_overdue_ones(world):
    community = world.node("甲市一区一街一社")
    item = services.feedback_submit(actor=world.users["resident"], category="noise", description="夜里噪音")
    rows = FeedbackRequest.objects.filter(pk=item.pk)

    def flags(now):
        row = selectors.with_deadlines(rows, division=community, now=now).get()
        return row.overdue, row.due_soon

    assert flags(item.due_at - timedelta(hours=25)) == (False, False)
    assert flags(item.due_at - timedelta(hours=23)) == (False, True)  # the pack's 24 hours
    assert flags(item.due_at + timedelta(minutes=1)) == (True, False)
