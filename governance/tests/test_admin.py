"""Community governance in the back office: read only, scoped like the pages (the neighbours' rows are
checked for every admin by tests/test_authz_matrix.py)."""

import datetime

import pytest
from django.urls import reverse

from governance import services

from .conftest import ACTOR, five_parties

pytestmark = pytest.mark.django_db


def test_a_street_administrator_reads_a_project_and_its_parties_and_changes_nothing(client, world):
    project = services.project_create(actor=ACTOR, community=world.node("甲市一区一街一社"), title="一老一小暖心食堂",
                                      contributions=five_parties(world), starts_on=datetime.date(2026, 1, 1))
    client.force_login(world.users["street_admin"])
    page = client.get(reverse("admin:governance_partnershipproject_changelist"))
    assert page.status_code == 200 and "一老一小暖心食堂" in page.content.decode()
    page = client.get(reverse("admin:governance_partnershipproject_change", args=[project.pk]))
    assert page.status_code == 200
    assert "张社工、李社工" in page.content.decode()  # the parties, inline
    assert 'name="title"' not in page.content.decode()  # read only
    response = client.post(reverse("admin:governance_partnershipproject_change", args=[project.pk]), {"title": "改名"})
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.title == "一老一小暖心食堂"


def test_the_admission_list_is_read_in_the_back_office(client, world, affair_list):
    client.force_login(world.users["street_admin"])
    assert client.get(reverse("admin:governance_listversion_changelist")).status_code == 200
    page = client.get(reverse("admin:governance_affair_changelist"))
    assert page.status_code == 200 and "高龄津贴申领初审" in page.content.decode()
    assert client.get(reverse("admin:governance_affairapplication_changelist")).status_code == 403  # the district bureau's
