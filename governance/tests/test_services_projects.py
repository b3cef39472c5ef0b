import datetime
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from core.errors import ValidationFailed
from governance import services
from governance.models import Participation, PartnershipProject
from governance.services import Contribution

from .conftest import ACTOR, five_parties

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 3, 1)


def written():
    return PartnershipProject.objects.count(), Participation.objects.count(), AuditEvent.objects.count()


def create(world, contributions, community="甲市一区一街一社", **kw):
    return services.project_create(actor=ACTOR, community=world.node(community), title="一老一小暖心行动", starts_on=START,
                                   contributions=contributions, **kw)


def test_a_project_records_the_five_parties_and_what_each_brings(world):
    project = create(world, five_parties(world))
    from governance.selectors import project_figures

    figures = project_figures([project.pk])[project.pk]
    assert figures.all_five
    assert figures.money == Decimal("25000.00") and figures.volunteer_hours == Decimal("96.5")
    assert AuditEvent.objects.filter(action="governance.project.created").count() == 1


def test_a_project_belongs_to_a_community(world):
    before = written()
    with pytest.raises(ValidationFailed):
        create(world, five_parties(world), community="甲市一区一街")
    assert written() == before


def test_an_organisation_not_serving_the_community_is_refused(world):
    neighbour = world.organisations["甲市一区一街二社服务中心"]
    before = written()
    with pytest.raises(ValidationFailed) as refused:
        create(world, [Contribution("social_org", organisation=neighbour)])
    assert "parties.1.organisation" in refused.value.fields
    assert written() == before


def test_a_social_organisation_comes_from_the_register(world):
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("social_org")])


def test_social_workers_are_named_or_their_agency_chosen(world):
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("social_worker")])
    charity = world.organisations["甲市一区慈善会"]
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("social_worker", organisation=charity)])
    agency = world.organisations["甲市一区一街一社服务中心"]
    assert create(world, [Contribution("social_worker", organisation=agency)]).participations.count() == 1


def test_volunteers_need_a_headcount_or_hours(world):
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("volunteers")])


def test_charitable_resources_name_a_fund_a_charity_or_the_source_of_the_money(world):
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("charity", money=Decimal("100"))])
    project = create(world, [Contribution("charity", money=Decimal("100"), note="辖区企业捐赠")])
    assert project.participations.get().money == Decimal("100.00")


def test_a_fund_of_another_community_is_refused(world):
    from tests.authz import _fund_at

    fund = _fund_at(world, world.node("甲市一区一街二社"))
    with pytest.raises(ValidationFailed) as refused:
        create(world, [Contribution("charity", fund=fund, money=Decimal("1"))])
    assert "parties.1.fund" in refused.value.fields
    assert create(world, [Contribution("charity", fund=fund, money=Decimal("1"))], community="甲市一区一街二社")


def test_money_is_not_negative_and_has_two_places(world):
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("community", money=Decimal("-1"))])
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("community", money=Decimal("1.001"))])


def test_the_community_is_one_party(world):
    with pytest.raises(ValidationFailed):
        create(world, [Contribution("community"), Contribution("community")])
    project = create(world, [Contribution("community")])
    with pytest.raises(ValidationFailed):
        services.participation_add(actor=ACTOR, project=project, contribution=Contribution("community"))


def test_a_project_does_not_end_before_it_starts(world):
    with pytest.raises(ValidationFailed):
        create(world, [], ends_on=START - datetime.timedelta(days=1))


def test_adding_and_removing_a_party_is_recorded(world):
    project = create(world, five_parties(world)[:4])
    participation = services.participation_add(actor=ACTOR, project=project,
                                               contribution=Contribution("charity", organisation=world.organisations["甲市一区慈善会"]))
    services.participation_remove(actor=ACTOR, participation=participation)
    assert AuditEvent.objects.filter(action__startswith="governance.participation.").count() == 2
    assert project.participations.count() == 4
