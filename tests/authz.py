"""What the authorization matrix needs to aim a route at a neighbour's data.

The matrix (tests/test_authz_matrix.py) walks every API operation, every page and every admin
model it finds. To call a route it must fill the route's parameters with *the neighbour's*
objects; this module says how, by parameter name. A module that adds a route with a new
parameter adds a line here, or the matrix fails and says which parameter it could not fill.

Each factory takes (world, outsider node, acting user) and returns the value to send.
"""

import datetime
from decimal import Decimal

from django.db.models import F

from accounts import services as account_services
from accounts.models import RoleAssignment
from audit.models import AuditEvent
from excel.models import ExcelJob
from org.models import Division, Organisation
from registry import services as registry_services
from registry.models import ProvisionProject, RegistryFiling, Room, Site
from rulepack.models import RulePack
from rulepack.selectors import city_of
from rulepack.services import rulepack_ensure
from tests.world import World, make_user


def _organisation_at(world: World, node: Division) -> Organisation:
    organisation = Organisation.objects.filter(served_divisions__path__startswith=node.path).order_by("pk").first()
    assert organisation is not None, f"the world has no organisation below {node.name}"
    return organisation


def _role_at(world: World, node: Division) -> RoleAssignment:
    assignment = RoleAssignment.objects.filter(division__path__startswith=node.path).order_by("pk").first()
    if assignment is None:
        user = make_user(f"someone_at_{node.code}", role="resident" if node.level == "community" else "street_admin"
                         if node.level == "street" else "supervisor", division=node)
        assignment = user.role_assignments.get()
    return assignment


def _event_at(world: World, node: Division) -> AuditEvent:
    return AuditEvent.objects.filter(division__path__startswith=node.path).order_by("pk").first()


def _someone_elses_token(world: World, node: Division, user):
    other = world.users["resident_b"] if user != world.users["resident_b"] else world.users["resident"]
    token, _raw = account_services.token_issue(actor=other, name="not yours")
    return token.pk


def _someone_elses_job(world: World, node: Division, user):
    other = world.users["resident_b"] if user != world.users["resident_b"] else world.users["resident"]
    return ExcelJob.objects.create(requested_by=other, direction="export", register="org.divisions").pk


def _tomorrow(hour: int) -> str:
    from datetime import timedelta

    from django.utils import timezone

    moment = (timezone.localtime() + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.isoformat()


def _community_in(node: Division) -> Division:
    if node.level == "grid":
        return node.parent
    if node.level == "community":
        return node
    return Division.objects.filter(path__startswith=node.path, level="community").order_by("path").first()


def _site_at(world: World, node: Division) -> Site:
    community = _community_in(node)
    site = Site.objects.filter(division=community).first()
    return site or registry_services.site_create(
        actor="test", division=community, name=f"{community.name}党群服务中心", kind="party_mass_centre",
        floor_area=Decimal("900"), property_class="state_admin", property_source="street_owned")


def _room_at(world: World, node: Division) -> Room:
    site = _site_at(world, node)
    return site.rooms.first() or registry_services.room_create(actor="test", site=site, name="活动室", area=Decimal("60"))


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _png_upload():
    from tests.images import png_bytes

    return _upload("a.png", png_bytes())


def _photo_at(world: World, node: Division):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.images import png_bytes

    return registry_services.photo_add(actor=world.users["city_supervisor"], site=_site_at(world, node),
                                       upload=SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")).pk


def _street_in(node: Division) -> Division:
    if node.level == "street":
        return node
    if node.level in ("community", "grid"):
        return _community_in(node).parent
    return Division.objects.filter(path__startswith=node.path, level="street").order_by("path").first()


def _filing_at(world: World, node: Division) -> int:
    street = _street_in(node)
    filing = RegistryFiling.objects.filter(street=street).first()
    return (filing or registry_services.registry_file(actor=world.users["city_supervisor"], street=street)).pk


def _project_at(world: World, node: Division) -> int:
    community = _community_in(node)
    project = ProvisionProject.objects.filter(community=community).first()
    return (project or registry_services.provision_project_create(
        actor=world.users["city_supervisor"], community=community, name="某项目", developer="某开发商", land_parcel="P1",
        households=300, method="provide")).pk


def _notice_at(world: World, node: Division):
    """A published notice of ``node`` naming ``node`` itself (the bureau's and the unit's to read)."""
    from supervision.models import Notice, NoticeReceipt

    notice = Notice.objects.filter(issuer=node).first()
    if notice is None:
        notice = Notice.objects.create(issuer=node, month="2026-11-01", unit_level=node.level, title=f"{node.name}通报",
                                       body="经查……", status="published", published_at="2026-12-01T09:00:00+08:00",
                                       job_status="done", progress=100)
        NoticeReceipt.objects.create(notice=notice, division=node)
    return notice


def _rectification_at(world: World, node: Division, user=None) -> int:
    from supervision.models import Rectification

    item = Rectification.objects.filter(division=node).first()
    return (item or Rectification.objects.create(
        division=node, source="standard", title="补足用房面积", owner=world.users["city_supervisor"], deadline="2027-01-31",
        opened_by=world.users["city_supervisor"])).pk


def _plan_at(world: World, node: Division, user=None) -> int:
    from supervision.models import Milestone, Plan

    community = _community_in(node)
    plan = Plan.objects.filter(community=community).first()
    if plan is None:
        plan = Plan.objects.create(community=community, rule_key="registry.community_service_area", rule_title="面积达标",
                                   measures="置换闲置用房", created_by=world.users["city_supervisor"])
        Milestone.objects.create(plan=plan, title="签订置换协议", owner=world.users["city_supervisor"], due="2027-01-31")
    return plan.pk


def _assessment_at(world: World, node: Division, user=None):
    from supervision.models import Assessment, AssessmentScore, ManualItem

    assessment = Assessment.objects.filter(issuer=node).first()
    if assessment is None:
        assessment = Assessment.objects.create(issuer=node, year=2026, unit_level=node.level, scoring="proportional",
                                               created_by=world.users["city_supervisor"], job_status="done", progress=100)
        AssessmentScore.objects.create(assessment=assessment, division=node, indicator_key="supervision.indicator.1",
                                       indicator_title="面积达标率", unit="share", value=1, target=1, weight=20, points=20)
        ManualItem.objects.create(assessment=assessment, division=node, title="表彰", points=5, evidence="supervision/x.pdf",
                                  assessor=world.users["city_supervisor"])
    return assessment


def _inspection_at(world: World, node: Division):
    """A campaign of ``node`` drawing a community below it, inspected, with one finding."""
    from supervision.models import Inspection, InspectionCampaign, InspectionFinding

    community = _community_in(node)
    inspection = Inspection.objects.filter(community=community).first()
    if inspection is None:
        campaign = InspectionCampaign.objects.create(issuer=node, title=f"{node.name}双随机检查", community_count=1,
                                                     inspectors_per_community=1, seed="s", created_by=world.users["city_supervisor"])
        inspection = Inspection.objects.create(campaign=campaign, community=community, order=1)
        InspectionFinding.objects.create(inspection=inspection, item_code="use", item_text="用房未被挪作他用", passed=False,
                                         note="出租", photo="supervision/x.jpg")
    return inspection


def _booking_at(world: World, node: Division) -> int:
    """A booking of a room below ``node``, booked by someone living there."""
    from datetime import timedelta

    from django.utils import timezone

    from scheduling.models import Booking

    room = _room_at(world, node)
    existing = Booking.objects.filter(room=room).first()
    if existing is not None:
        return existing.pk
    start = (timezone.localtime() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    booker = make_user(f"booker_{room.pk}_{Booking.objects.count()}", role="resident", division=_community_in(node))
    return Booking.objects.create(room=room, title="邻居的会", starts_at=start, ends_at=start + timedelta(hours=1),
                                  blocked_until=start + timedelta(hours=1), status="confirmed", booker=booker).pk


def _open_resource_at(world: World, node: Division):
    """A unit's sports ground opened to the residents of a community below ``node``."""
    from org import services as org_services
    from registry.hours import parse_hours
    from scheduling.models import OpenResource
    from scheduling.services import open_resource_register

    community = _community_in(node)
    resource = OpenResource.objects.filter(room__site__division=community).first()
    if resource is None:
        unit = org_services.organisation_create(actor="test", name=f"{community.name}中学", kind="unit",
                                                home_division=community.parent, served_divisions=[community])
        staff = make_user(f"unit_staff_{community.code}", role="unit_staff", organisation=unit)
        resource = open_resource_register(actor=staff, unit=unit, community=community, name="运动场", category="sports",
                                          opening_hours=parse_hours("每天 06:00-22:00"), rules="仅限本社区居民")
    return resource


def _ical_token(world: World, node: Division, user) -> str:
    """A feed link of the neighbour's room signed for this user: the feed must find nothing for them.

    (A feed link is a capability: whoever holds a valid one sees what its signer may see.)"""
    from scheduling.ical import feed_token

    return feed_token(user=user, kind="room", pk=_room_at(world, node).pk)


def _fund_at(world: World, node: Division):
    """The fund of a community below ``node``, with a committee of three and a donation in it."""
    from funds import services as fund_services
    from funds.models import Fund

    community = _community_in(node)
    fund = Fund.objects.filter(division=community).first()
    if fund is None:
        district = Division.objects.get(path="/".join(community.path.split("/")[:2]) + "/")
        fund = fund_services.fund_create(actor="test", division=community, host=world.organisations[f"{district.name}慈善会"],
                                         led_by="邻居党委", founded_on=datetime.date(2025, 1, 1))
        for n in range(3):
            fund_services.member_add(actor="test", fund=fund, side="residents",
                                     user=make_user(f"weiyuan_{community.code}_{n}", role="fund_committee", division=community))
        fund_services.income_record(actor="test", fund=fund, kind="market", amount="100.00", donor_name="邻居集市",
                                    received_on=datetime.date(2026, 1, 5))
    return fund


def _fund_project_at(world: World, node: Division) -> int:
    from funds import services as fund_services

    fund = _fund_at(world, node)
    project = fund.projects.first() or fund_services.project_propose(
        actor=fund.members.first().user, fund=fund, title="邻居的项目", kind="events", budget="50.00", beneficiaries="居民", plan="x")
    return project.pk


def _pack_of_another_city(world: World, node: Division, user=None) -> int:
    """A rule pack belongs to a city: another city's pack is never this user's to see.

    A neighbour below city level shares the user's city (and its pack), so aim at the other city.
    """
    city = node if node.level == "city" else world.divisions["乙市" if city_of(node).name == "甲市" else "甲市"]
    return rulepack_ensure(city=city).pk


def _clerk(node: Division):
    """Someone with no role who writes the neighbour's space-for-service records for the matrix (so that
    what the services tell the actor lands with nobody under test)."""
    from accounts.models import User

    return User.objects.filter(username=f"clerk_{node.code}").first() or make_user(f"clerk_{node.code}")


def _operator_admitted_at(world: World, node: Division) -> Organisation:
    """An operator of the neighbour's community, admitted by its street. It is named after no division,
    because an operator the street admits is rightly listed to every community of that street."""
    from django.utils import timezone

    from operations import services as operations_services
    from org import services as org_services

    community = _community_in(node)
    name = f"邻家运营社{community.code}"
    operator = Organisation.objects.filter(name=name).first()
    if operator is None:
        operator = org_services.organisation_create(actor="test", name=name, kind="operator", operator_kind="social_work",
                                                    home_division=community.parent, served_divisions=[community])
        operations_services.qualification_add(actor="test", operator=operator, kind="business_licence", number=f"L{community.code}")
        admission = operations_services.admission_apply(actor=_clerk(node), operator=operator,
                                                         division=community.parent, categories=["elderly_child"],
                                                         scope_description="托育")
        operations_services.admission_review(
            actor=_clerk(node), admission=admission, admit=True, valid_from=timezone.localdate() - datetime.timedelta(days=400),
            checklist={item["code"]: {"met": True} for item in operations_services.checklist_items(community)})
    return operator


def _agreement_at(world: World, node: Division):
    """An agreement in force between the neighbour's community and its operator, with a report of last month."""
    from django.utils import timezone

    from operations import services as operations_services
    from operations.models import Agreement

    operator = _operator_admitted_at(world, node)
    agreement = Agreement.objects.filter(operator=operator).first()
    if agreement is None:
        today = timezone.localdate()
        agreement = operations_services.agreement_draft(
            actor=_clerk(node), division=_community_in(node), operator=operator,
            terms={"title": "邻居的合作协议", "mode": "entrusted", "starts_on": today - datetime.timedelta(days=120),
                   "ends_on": today + datetime.timedelta(days=240)},
            spaces=[{"room": _room_at(world, node).pk, "hours": [{"weekday": 7, "start": "19:00", "end": "20:00"}]}],
            services=[{"name": "邻居的服务", "category": "elderly_child", "tier": "free", "price": "0"}],
            shares=[{"tier": "market", "percent": "10"}])
        operations_services.agreement_submit(actor=_clerk(node), agreement=agreement)
        operations_services.agreement_approve(actor=_clerk(node), agreement=agreement)
        operations_services.report_submit(actor=_clerk(node), agreement=agreement,
                                          month=(today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1),
                                          figures={"sessions_free": 4, "people_free": 40})
    return agreement


def _fund_evidence_at(world: World, node: Division) -> int:
    """A scan of spending evidence on the neighbour's fund project (written directly: the matrix needs only the file)."""
    from django.core.files.base import ContentFile

    from funds.models import Evidence, Project

    project = Project.objects.get(pk=_fund_project_at(world, node))
    evidence = project.evidence.exclude(file="").first()
    if evidence is None:
        evidence = Evidence(project=project, description="邻居的发票", amount="1.00", invoice_no="邻-1",
                            added_by=project.fund.members.first().user)
        evidence.file.save("scan.pdf", ContentFile(b"%PDF-1.4 neighbour"), save=False)
        evidence.save()
    return evidence.pk


def _report_photo_at(world: World, node: Division) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from operations.models import ReportPhoto
    from tests.images import png_bytes

    report = _agreement_at(world, node).reports.first()
    photo = report.photos.first()
    if photo is None:
        photo = ReportPhoto(report=report, caption="邻居的照片")
        photo.image.save("a.png", SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"), save=False)
        photo.save()
    return photo.pk


def _funding_at(world: World, node: Division):
    from django.utils import timezone

    from operations import services as operations_services
    from operations.models import Funding

    community = _community_in(node)
    funding = Funding.objects.filter(division=community).first()
    return funding or operations_services.funding_create(
        actor=_clerk(node), kind="reward", title="邻居的以奖代补", funder=community.parent.parent,
        division=community, amount="50000", starts_on=timezone.localdate(), ends_on=timezone.localdate(),
        milestones=[{"title": "通过评估", "due_on": timezone.localdate(), "amount": "50000"}])


def _offer_at(world: World, node: Division):
    from django.utils import timezone

    from operations import services as operations_services
    from operations.models import PartnershipOffer

    community = _community_in(node)
    offer = PartnershipOffer.objects.filter(division=community).first()
    if offer is None:
        room = registry_services.room_create(actor="test", site=_site_at(world, node), name="闲置用房", area=Decimal("40"))
        offer = operations_services.offer_publish(
            actor=_clerk(node), room=room, title="邻居的闲置用房", description="寻找合作",
            categories=["elderly_child"], hours=[{"weekday": 6, "start": "09:00", "end": "11:00"}],
            closes_on=timezone.localdate() + datetime.timedelta(days=30))
        operations_services.interest_submit(
            actor=_clerk(node), offer=offer, operator=_operator_admitted_at(world, node), proposal="邻居的提案",
            services=[{"name": "邻居的课堂", "category": "elderly_child", "tier": "free", "price": "0"}])
    return offer
def _activity_at(world: World, node: Division):
    """An activity of a community below ``node``, with a registration and a need, feedback and an order there."""
    from datetime import timedelta

    from django.utils import timezone

    from neighbourhood.models import Activity

    community = _community_in(node)
    found = Activity.objects.filter(community=community).first()
    if found is not None:
        return found
    start = (timezone.localtime() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    return Activity.objects.create(
        community=community, title="邻居的活动", category="food_recreation", capacity=10, place="邻居的广场",
        registration_closes_at=start - timedelta(hours=2), attendance_code="123456", starts_at=start,
        ends_at=start + timedelta(hours=1), created_by=_neighbour_resident(community))


def _neighbour_resident(community: Division):
    from accounts.models import User

    return User.objects.filter(role_assignments__division=community, role_assignments__role="resident").first() or make_user(
        f"neighbour_{community.code}", role="resident", division=community)


def _need_at(world: World, node: Division) -> int:
    from neighbourhood.models import Need
    from neighbourhood.selectors import need_kinds

    community = _community_in(node)
    need = Need.objects.filter(community=community).first() or Need.objects.create(
        community=community, category="elderly_child", kind=need_kinds().get(code="elderly_meals"), title="邻居的需求",
        recorded_by=_neighbour_resident(community), supports=1)
    return need.pk


def _order_at(world: World, node: Division) -> int:
    from django.utils import timezone

    from neighbourhood.models import ServiceOrder

    community = _community_in(node)
    order = ServiceOrder.objects.filter(community=community).first() or ServiceOrder.objects.create(
        community=community, resident=_neighbour_resident(community), category="living_environment", title="邻居的点单",
        created_at=timezone.now(), pooled=True)
    return order.pk


def _feedback_at(world: World, node: Division) -> int:
    from django.utils import timezone

    from neighbourhood.models import FeedbackRequest

    community = _community_in(node)
    item = FeedbackRequest.objects.filter(community=community).first() or FeedbackRequest.objects.create(
        community=community, routed_to=community, category="noise", category_name="噪声扰民", description="邻居的诉求",
        submitted_by=_neighbour_resident(community), public=False, due_at=timezone.now(), created_at=timezone.now(),
        updated_at=timezone.now())
    return item.pk


def _registration_at(world: World, node: Division) -> int:
    from django.utils import timezone

    from neighbourhood.models import Registration

    activity = _activity_at(world, node)
    registration = activity.registrations.first()
    if registration is None:
        registration = Registration.objects.create(
            activity=activity, user=_neighbour_resident(activity.community), status="registered", created_at=timezone.now(),
            ticket=f"t{activity.pk}")
        # The activity counts the places its registrations hold (cancelling one gives them back).
        type(activity).objects.filter(pk=activity.pk).update(registered_places=F("registered_places") + registration.places)
    return registration.pk

# Life-circle planning: a small walking network, demand and a finished scenario at the neighbour's node.

def _planning_area(node: Division) -> Division:
    """Networks belong to a city, district or street: a community's is its street's."""
    return _street_in(node) if node.level in ("community", "grid") else node


def _network_at(world: World, node: Division):
    from planning import services as planning_services
    from planning.demo import walking_grid
    from planning.models import Network

    area = _planning_area(node)
    network = Network.objects.filter(division=area).first()
    if network is None:
        community = _community_in(node)
        lat, lon = float(community.latitude), float(community.longitude)
        graph = walking_grid(lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01, spacing_m=150, seed=1)
        network = planning_services.network_generate(actor="test", division=area, name=f"{area.name}路网", graph=graph)
    return network


def _demand_at(world: World, node: Division):
    from planning import services as planning_services
    from planning.models import DemandSet

    community = _community_in(node) if node.level in ("community", "grid") else node
    demand = DemandSet.objects.filter(division=community).first()
    return demand or planning_services.demand_create(actor="test", division=community, network=_network_at(world, node),
                                                     name=f"{community.name}人口", source="communities")


def _scenario_at(world: World, node: Division, name: str = "现状"):
    from planning import services as planning_services
    from planning.models import Scenario

    demand = _demand_at(world, node)
    scenario = Scenario.objects.filter(demand=demand, name=name).first()
    return scenario or planning_services.scenario_create(actor="test", demand=demand, name=name,
                                                         facility_kind="elderly_canteen", run=True)


# Volunteers: a volunteer of a community below the node, a team, an opportunity with an accepted
# application and a record of hours awaiting confirmation there.

def _volunteer_at(world: World, node: Division):
    from django.utils import timezone

    from volunteers.models import Volunteer

    community = _community_in(node)
    resident = _neighbour_resident(community)
    return Volunteer.objects.filter(user=resident).first() or Volunteer.objects.create(
        user=resident, community=community, real_name="邻居志愿者", phone="13800000000", skills=["elderly_care"],
        agreement_version="2026.1", consented_at=timezone.now(), created_at=timezone.now())


def _team_at(world: World, node: Division):
    from django.utils import timezone

    from volunteers.models import Team

    community = _community_in(node)
    return Team.objects.filter(community=community).first() or Team.objects.create(
        community=community, name="邻居的志愿队", created_by=_neighbour_resident(community), created_at=timezone.now())


def _opportunity_at(world: World, node: Division):
    from datetime import timedelta

    from django.utils import timezone

    from volunteers.models import Opportunity

    community = _community_in(node)
    start = (timezone.localtime() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    return Opportunity.objects.filter(community=community).first() or Opportunity.objects.create(
        community=community, title="邻居的志愿岗位", places=5, starts_at=start, ends_at=start + timedelta(hours=3), place="邻居的广场",
        code_secret="neighbour", created_by=_neighbour_resident(community), created_at=timezone.now())


def _volunteer_application_at(world: World, node: Division):
    from django.utils import timezone

    from volunteers.models import Application

    opportunity = _opportunity_at(world, node)
    return opportunity.applications.first() or Application.objects.create(
        opportunity=opportunity, volunteer=_volunteer_at(world, node), status="accepted", applied_at=timezone.now())


def _volunteer_record_at(world: World, node: Division):
    from datetime import timedelta

    from django.utils import timezone

    from volunteers.models import ServiceRecord

    opportunity = _opportunity_at(world, node)
    at = timezone.now() - timedelta(days=1)
    return opportunity.records.first() or ServiceRecord.objects.create(
        volunteer=_volunteer_at(world, node), opportunity=opportunity, community=opportunity.community, signed_in_at=at,
        signed_out_at=at + timedelta(hours=2), minutes=120, status="pending")


# Community governance: the admission list of a district the user does not read, its applications, and
# a five-party project of the neighbour's community.

def _affair_district(world: World, node: Division, user) -> Division:
    """A district whose list ``user`` may not read: the neighbour's, or beside it when the neighbour shares the user's."""
    from governance.selectors import may_read_list

    district = (Division.objects.filter(path__startswith=node.path, level="district").order_by("path").first()
                if node.level == "city" else Division.objects.get(path="/".join(node.path.split("/")[:2]) + "/"))
    return world.sibling(district) if may_read_list(user, district) else district


def _department_of(district: Division) -> Organisation:
    from org import services as org_services

    name = f"{district.name}民政局"
    return Organisation.objects.filter(name=name).first() or org_services.organisation_create(
        actor="test", name=name, kind="department", home_division=district, served_divisions=[district])


def _affair_application_at(world: World, node: Division, user) -> int:
    from governance import services as governance_services
    from governance.models import AffairApplication

    district = _affair_district(world, node, user)
    application = AffairApplication.objects.filter(district=district).first()
    return (application or governance_services.application_file(
        actor=_clerk(district), district=district, department=_department_of(district), title="邻区的新任务", role="assist",
        legal_basis="某条例")).pk


def _partnership_project_at(world: World, node: Division):
    from governance import services as governance_services
    from governance.models import PartnershipProject

    community = _community_in(node)
    return PartnershipProject.objects.filter(community=community).first() or governance_services.project_create(
        actor=_clerk(node), community=community, title="邻居的五社联动项目", starts_on=datetime.date(2026, 1, 1),
        contributions=[governance_services.Contribution("volunteers", headcount=3, hours=Decimal("6"))])


def _district_beside(world: World, node: Division) -> Division:
    """A district no one at ``node``'s neighbour reads the list of: ``node``'s own (a district, or the
    first of a city), or, below a district, the district beside the one holding ``node``."""
    if node.level == "city":
        return Division.objects.filter(path__startswith=node.path, level="district").order_by("path").first()
    if node.level == "district":
        return node
    return world.sibling(Division.objects.get(path="/".join(node.path.split("/")[:2]) + "/"))


def _affair_list_of(district: Division):
    """The list in force of ``district``, published with one affair when it has none."""
    from governance import services as governance_services
    from governance.models import ListVersion

    return ListVersion.objects.filter(district=district).order_by("-number").first() or governance_services.affair_list_replace(
        actor="test", district=district, effective_on=datetime.date(2026, 1, 1),
        rows=[governance_services.AffairRow("邻区的事项", "host", "某条例", _department_of(district))])


def _task_refusal_at(world: World, node: Division):
    from governance import services as governance_services
    from governance.models import TaskRefusal

    community = _community_in(node)
    district = Division.objects.get(path="/".join(community.path.split("/")[:2]) + "/")
    _affair_list_of(district)
    return TaskRefusal.objects.filter(community=community).first() or governance_services.task_refuse(
        actor="test", community=community, department=_department_of(district), title="邻居退回的任务")


def _affair_application_beside(world: World, node: Division):
    from governance import services as governance_services
    from governance.models import AffairApplication

    district = _district_beside(world, node)
    return AffairApplication.objects.filter(district=district).first() or governance_services.application_file(
        actor=_clerk(district), district=district, department=_department_of(district), title="邻区的新任务", role="assist",
        legal_basis="某条例")


# Signs and plaques, clean-ups and room suggestions at the neighbour's node.

def _sign_at(world: World, node: Division) -> int:
    from registry.models import Sign

    site = _site_at(world, node)
    sign = Sign.objects.filter(site=site).first()
    return (sign or registry_services.sign_record(actor="test", site=site, text="邻居的某某工作站")).pk


def _cleanup_at(world: World, node: Division) -> int:
    from registry.models import SignCleanup

    street = _street_in(node)
    cleanup = SignCleanup.objects.filter(division=street).first()
    return (cleanup or registry_services.sign_cleanup_start(actor=world.users["city_supervisor"], division=street,
                                                            title="邻居的清理")).pk


def _suggestion_at(world: World, node: Division) -> int:
    from registry.models import RoomSuggestion

    room = _room_at(world, node)
    suggestion = RoomSuggestion.objects.filter(room=room).first() or RoomSuggestion.objects.create(
        kind="swap", street=_street_in(node), room=room, key=f"swap:{room.pk}", figures={"rooms": [], "reasons": []})
    return suggestion.pk


# Path (and page URL) parameters, by name.
PARAMS = {
    "sign_id": lambda world, node, user: _sign_at(world, node),
    "cleanup_id": lambda world, node, user: _cleanup_at(world, node),
    "suggestion_id": lambda world, node, user: _suggestion_at(world, node),
    "code": lambda world, node, user: node.code,
    "organisation_id": lambda world, node, user: _organisation_at(world, node).pk,
    "assignment_id": lambda world, node, user: _role_at(world, node).pk,
    "event_id": lambda world, node, user: _event_at(world, node).pk,
    "token_id": _someone_elses_token,
    "job_id": _someone_elses_job,
    "site_id": lambda world, node, user: _site_at(world, node).pk,
    "notice_id": lambda world, node, user: _notice_at(world, node).pk,
    "receipt_id": lambda world, node, user: _notice_at(world, node).receipts.get().pk,
    "rectification_id": _rectification_at,
    "campaign_id": lambda world, node, user: _inspection_at(world, node).campaign_id,
    "inspection_id": lambda world, node, user: _inspection_at(world, node).pk,
    "finding_id": lambda world, node, user: _inspection_at(world, node).findings.get().pk,
    "assessment_id": lambda world, node, user: _assessment_at(world, node).pk,
    "item_id": lambda world, node, user: _assessment_at(world, node).manual_items.get().pk,
    "plan_id": _plan_at,
    "room_id": lambda world, node, user: _room_at(world, node).pk,
    "photo_id": lambda world, node, user: _photo_at(world, node),
    "filing_id": lambda world, node, user: _filing_at(world, node),
    "against": lambda world, node, user: _filing_at(world, node),
    "project_id": lambda world, node, user: _project_at(world, node),
    "pack_id": _pack_of_another_city,
    "booking_id": lambda world, node, user: _booking_at(world, node),
    "resource_id": lambda world, node, user: _open_resource_at(world, node).pk,
    "token": _ical_token,
    "fund_project_id": lambda world, node, user: _fund_project_at(world, node),
    "evidence_id": lambda world, node, user: _fund_evidence_at(world, node),
    "admission_id": lambda world, node, user: _operator_admitted_at(world, node).admissions.first().pk,
    "agreement_id": lambda world, node, user: _agreement_at(world, node).pk,
    "report_id": lambda world, node, user: _agreement_at(world, node).reports.first().pk,
    "funding_id": lambda world, node, user: _funding_at(world, node).pk,
    "milestone_id": lambda world, node, user: _funding_at(world, node).milestones.first().pk,
    "offer_id": lambda world, node, user: _offer_at(world, node).pk,
    "interest_id": lambda world, node, user: _offer_at(world, node).interests.first().pk,
    "report_photo_id": lambda world, node, user: _report_photo_at(world, node),
    "qualification_id": lambda world, node, user: _operator_admitted_at(world, node).qualifications.first().pk,
    "network_id": lambda world, node, user: _network_at(world, node).pk,
    "demand_id": lambda world, node, user: _demand_at(world, node).pk,
    "scenario_id": lambda world, node, user: _scenario_at(world, node).pk,
    "other_id": lambda world, node, user: _scenario_at(world, node, "另一方案").pk,
    # The smart neighbourhood.
    "activity_id": lambda world, node, user: _activity_at(world, node).pk,
    "need_id": lambda world, node, user: _need_at(world, node),
    "order_id": lambda world, node, user: _order_at(world, node),
    "feedback_id": lambda world, node, user: _feedback_at(world, node),
    "registration_id": lambda world, node, user: _registration_at(world, node),
    # Community governance.
    "district_code": lambda world, node, user: _affair_district(world, node, user).code,
    "affair_application_id": _affair_application_at,
    "partnership_project_id": lambda world, node, user: _partnership_project_at(world, node).pk,
    "participation_id": lambda world, node, user: _partnership_project_at(world, node).participations.first().pk,
    # Volunteers.
    "team_id": lambda world, node, user: _team_at(world, node).pk,
    "opportunity_id": lambda world, node, user: _opportunity_at(world, node).pk,
    "application_id": lambda world, node, user: _volunteer_application_at(world, node).pk,
    "record_id": lambda world, node, user: _volunteer_record_at(world, node).pk,
}

# Parameters that name no node's data: any valid value will do, and the response must simply
# not show the neighbour's data.
UNSCOPED_PARAMS = {
    "register_name": lambda world, node, user: "org.divisions",
    # A rule of the user's own city's pack, and a kind of rule (the pack page answers for the user's city only).
    "rule_key": lambda world, node, user: "registry.community_service_area",
    "kind": lambda world, node, user: "site_area_min",
    # An indicator of the user's own city's pack (the page answers for the division in the path).
    "indicator_key": lambda world, node, user: "supervision.indicator.1",
    # Time windows of calendars, searches and reports.
    "start": lambda world, node, user: _tomorrow(0),
    "end": lambda world, node, user: _tomorrow(23),
    "since": lambda world, node, user: "2026-01-01",
    "until": lambda world, node, user: "2026-02-01",
}

# Query parameters that narrow a list to a division: aimed at the neighbour, they must be refused.
QUERY_PARAMS = {
    "parent": lambda world, node, user: node.code,
    "within": lambda world, node, user: node.code,
    "serving": lambda world, node, user: node.code,
    "city": lambda world, node, user: node.code,
    "division": lambda world, node, user: node.code,
}

# Bodies for operations whose body has required fields, aimed at the neighbour, by operationId.
BODIES = {
    "registry_api_switch_online_services": lambda world, node, user: {"on": False, "note": "越界关闭"},
    "org_api_create_division": lambda world, node, user: {
        "parent_code": node.code, "code": f"{node.code[:9]}099" if node.level == "street" else node.code, "name": "x",
    },
    "org_api_create_organisation": lambda world, node, user: {
        "name": "越界机构", "kind": "operator", "operator_kind": "enterprise", "home_division_code": node.code,
    },
    "accounts_api_create_role_assignment": lambda world, node, user: {
        "username": world.users["resident_b"].username, "role": "community_worker",
        "division_code": node.code,
    },
    "accounts_api_create_staff_account": lambda world, node, user: {
        "username": "intruder", "display_name": "x", "password": "a-long-password-1", "role": "community_worker",
        "division_code": node.code,
    },
    "accounts_api_issue_token": lambda world, node, user: {"username": "resident_b", "password": "wrong-password"},
    "accounts_api_send_phone_code": lambda world, node, user: {"phone": "13900000000"},
    "accounts_api_register_resident": lambda world, node, user: {
        "phone": "13900000000", "code": "000000", "password": "a-long-password-1", "display_name": "x",
        "community_code": node.code,
    },
    "excel_api_start_export": lambda world, node, user: {"register_name": "org.divisions", "params": {"within": node.code}},
    # The rows of a workbook name the places; the task runs each through the module's scoped services (excel/tests).
    "excel_api_start_import": "an import's rows are checked row by row against the user's scope in the task (excel/tests)",
    "rulepack_api_load_pack": lambda world, node, user: {"city_code": city_of(node).code if node.level == "city" else node.code,
                                                         "content": "version = 'x'\ntitle = 'x'"},
    "registry_api_create_site": lambda world, node, user: {
        "division_code": _community_in(node).code, "name": "越界场所", "kind": "service_station", "floor_area": "100",
        "property_class": "state_admin", "property_source": "street_owned"},
    "registry_api_create_room": lambda world, node, user: {"name": "越界房间", "area": "10"},
    "registry_api_create_cost": lambda world, node, user: {"year": 2026, "category": "utilities", "amount": "100", "paid_by": "street"},
    "registry_api_add_photo": lambda world, node, user: {"image": _png_upload(), "caption": "越界"},
    "registry_api_add_evidence": lambda world, node, user: {
        "criterion": "resident_satisfaction", "score": "0.5", "evidence": "走访", "assessed_on": "2026-01-01"},
    "registry_api_create_filing": lambda world, node, user: {"street_code": _street_in(node).code},
    "registry_api_create_provision_project": lambda world, node, user: {
        "community_code": _community_in(node).code, "name": "越界项目", "developer": "某公司", "land_parcel": "P9",
        "households": 100, "method": "provide"},
    "registry_api_sign_off_provision_project": lambda world, node, user: {
        "party": "street", "document_no": "x", "signed_on": "2026-01-01", "signer": "x"},
    "registry_api_deliver_provision_project": lambda world, node, user: {"delivery_filed_on": "2026-01-01"},
    "registry_api_pay_provision_project": lambda world, node, user: {"paid_on": "2026-01-01", "amount": "1", "document_no": "x"},
    "registry_api_add_rent": lambda world, node, user: {"amount": "1", "received_on": "2026-01-01", "document_no": "x", "payer": "x"},
    "registry_api_create_sign": lambda world, node, user: {"site_id": _site_at(world, node).pk, "text": "越界的牌子"},
    "registry_api_start_cleanup": lambda world, node, user: {"division_code": _street_in(node).code, "title": "越界清理"},
    "registry_api_generate_suggestions": lambda world, node, user: {"division_code": _street_in(node).code},
    "registry_api_propose_merge": lambda world, node, user: {
        "room_id": _room_at(world, node).pk, "keep_id": registry_services.room_create(
            actor="test", site=_site_at(world, node), name=f"越界合并{Room.objects.count()}", area=Decimal("10")).pk},
    "registry_api_dismiss_suggestion": lambda world, node, user: {"reason": "越界"},
    "scheduling_api_create_booking": lambda world, node, user: {
        "room_id": _room_at(world, node).pk, "starts_at": _tomorrow(10), "ends_at": _tomorrow(11), "title": "越界"},
    "scheduling_api_create_series": lambda world, node, user: {
        "room_id": _room_at(world, node).pk, "title": "越界", "dtstart": _tomorrow(10), "duration_minutes": 60,
        "rrule": "FREQ=WEEKLY;COUNT=2"},
    "scheduling_api_join_waitlist": lambda world, node, user: {
        "room_id": _room_at(world, node).pk, "starts_at": _tomorrow(10), "ends_at": _tomorrow(11), "title": "越界"},
    "scheduling_api_cancel_booking": lambda world, node, user: {"scope": "one"},
    "scheduling_api_move_booking": lambda world, node, user: {"scope": "one", "starts_at": _tomorrow(14), "ends_at": _tomorrow(15)},
    "scheduling_api_decide_booking": lambda world, node, user: {"approve": True},
    "scheduling_api_create_closure": lambda world, node, user: {
        "site_id": _site_at(world, node).pk, "starts_at": _tomorrow(0), "ends_at": _tomorrow(23), "reason": "越界"},
    "scheduling_api_register_open_resource": lambda world, node, user: {
        "unit_id": _open_resource_at(world, node).unit_id, "community_code": _community_in(node).code, "name": "越界车场",
        "category": "parking", "opening_hours": "每天 08:00-20:00"},
    "scheduling_api_withdraw_open_resource": lambda world, node, user: {"reason": "越界"},
    "scheduling_api_book_open_resource": lambda world, node, user: {
        "starts_at": _tomorrow(10), "ends_at": _tomorrow(11), "title": "越界"},
    "scheduling_api_decide_open_booking": lambda world, node, user: {"approve": True},
    "scheduling_api_create_rotation": lambda world, node, user: {
        "room_id": _room_at(world, node).pk, "name": "越界", "slots": [{"weekday": 2, "start": "09:00", "end": "10:00"}],
        "department_ids": [_organisation_at(world, node).pk], "starts_on": "2027-01-01", "ends_on": "2027-02-01"},
    "funds_api_create_fund": lambda world, node, user: {
        "division": _community_in(node).code, "host_id": _organisation_at(world, node).pk, "led_by": "越界党委"},
    "funds_api_add_member": lambda world, node, user: {"username": user.username, "side": "residents"},
    "funds_api_record_income": lambda world, node, user: {
        "kind": "market", "amount": "10.00", "donor_name": "越界", "received_on": "2026-01-01"},
    "funds_api_propose_project": lambda world, node, user: {
        "title": "越界", "kind": "events", "budget": "10.00", "beneficiaries": "x", "plan": "x"},
    "funds_api_vote": lambda world, node, user: {"choice": "yes", "comment": "越界"},
    "funds_api_withdraw": lambda world, node, user: {"reason": "越界"},
    "funds_api_decide": lambda world, node, user: {"approve": True},
    "funds_api_disburse": lambda world, node, user: {"amount": "1.00", "payee": "越界", "document": "x"},
    "funds_api_add_evidence": lambda world, node, user: {"description": "越界", "amount": "1.00", "invoice_no": "x"},
    "funds_api_complete": lambda world, node, user: {"report": "越界"},
    "operations_api_apply_for_admission": lambda world, node, user: {
        "operator_id": _operator_admitted_at(world, node).pk, "division_code": _street_in(node).code,
        "categories": ["elderly_child"], "scope_description": "越界"},
    "operations_api_review_admission": lambda world, node, user: {"admit": True, "checklist": {}},
    "operations_api_suspend_admission": lambda world, node, user: {"reason": "越界"},
    "operations_api_reinstate_admission": lambda world, node, user: {"reason": "越界"},
    "operations_api_blacklist_admission": lambda world, node, user: {"reason": "越界"},
    "operations_api_add_qualification": lambda world, node, user: {"kind": "other", "number": "越界"},
    "operations_api_draft_agreement": lambda world, node, user: {
        "division_code": _community_in(node).code, "operator_id": _operator_admitted_at(world, node).pk,
        "terms": {"title": "越界", "mode": "entrusted", "starts_on": "2027-01-01", "ends_on": "2027-06-30"},
        "spaces": [{"room": _room_at(world, node).pk, "hours": [{"weekday": 6, "start": "20:00", "end": "21:00"}]}],
        "services": [{"name": "越界", "category": "elderly_child", "tier": "free"}]},
    "operations_api_revise_agreement": lambda world, node, user: {
        "terms": {"title": "越界", "mode": "entrusted", "starts_on": "2027-01-01", "ends_on": "2027-06-30"},
        "spaces": [{"room": _room_at(world, node).pk, "hours": [{"weekday": 6, "start": "20:00", "end": "21:00"}]}],
        "services": [{"name": "越界", "category": "elderly_child", "tier": "free"}]},
    "operations_api_approve_agreement": lambda world, node, user: {"note": "越界"},
    "operations_api_return_agreement": lambda world, node, user: {"reason": "越界"},
    "operations_api_withdraw_agreement": lambda world, node, user: {"reason": "越界"},
    "operations_api_terminate_agreement": lambda world, node, user: {"on": str(_agreement_at(world, node).starts_on),
                                                                    "reason": "越界"},
    "operations_api_renew_agreement": lambda world, node, user: {"ends_on": "2030-01-01"},
    "operations_api_submit_report": lambda world, node, user: {"month": "2026-01-01"},
    "operations_api_return_report": lambda world, node, user: {"reason": "越界"},
    "operations_api_create_funding": lambda world, node, user: {
        "kind": "reward", "title": "越界", "funder_code": _street_in(node).code, "division_code": _community_in(node).code,
        "amount": "10", "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
    "operations_api_pay_funding": lambda world, node, user: {"amount": "1", "paid_on": "2026-01-01", "document": "越界"},
    "operations_api_decide_milestone": lambda world, node, user: {"met": True, "evidence": "越界"},
    "operations_api_close_funding": lambda world, node, user: {"completed": True, "note": "越界"},
    "operations_api_publish_offer": lambda world, node, user: {
        "room_id": _room_at(world, node).pk, "title": "越界", "description": "越界", "categories": ["elderly_child"],
        "hours": [{"weekday": 6, "start": "09:00", "end": "10:00"}], "closes_on": "2030-01-01"},
    "operations_api_submit_interest": lambda world, node, user: {
        "operator_id": _operator_admitted_at(world, node).pk, "proposal": "越界",
        "services": [{"name": "越界", "category": "elderly_child", "tier": "free"}]},
    "operations_api_award_offer": lambda world, node, user: {
        "interest_id": _offer_at(world, node).interests.first().pk,
        "terms": {"mode": "entrusted", "starts_on": "2027-01-01", "ends_on": "2027-06-30"}},
    "operations_api_withdraw_offer": lambda world, node, user: {"reason": "越界"},
    "planning_api_import_network": lambda world, node, user: {
        "division": _planning_area(node).code, "name": "越界", "file": _upload("x.osm.pbf", b"\x00\x00\x00\x0dOSMHeader")},
    "planning_api_create_demand": lambda world, node, user: {
        "division": _community_in(node).code, "network_id": _network_at(world, node).pk, "source": "communities", "name": "越界"},
    "planning_api_create_scenario": lambda world, node, user: {
        "demand_id": _demand_at(world, node).pk, "name": "越界方案", "facility_kind": "elderly_canteen"},
    "neighbourhood_api_record_need": lambda world, node, user: {
        "community": _community_in(node).code, "kind": "elderly_meals", "title": "越界"},
    "neighbourhood_api_mark_need": lambda world, node, user: {"status": "planned", "note": "越界"},
    "neighbourhood_api_invite": lambda world, node, user: {"operator_id": _organisation_at(world, node).pk},
    "neighbourhood_api_publish_activity": lambda world, node, user: {
        "community": _community_in(node).code, "title": "越界", "category": "food_recreation", "capacity": 10,
        "starts_at": _tomorrow(10), "ends_at": _tomorrow(11), "place": "越界"},
    "neighbourhood_api_cancel_activity": lambda world, node, user: {"reason": "越界"},
    "neighbourhood_api_check_in_with_code": lambda world, node, user: {"code": "123456"},
    "neighbourhood_api_accept_order": lambda world, node, user: {"operator_id": _organisation_at(world, node).pk},
    "neighbourhood_api_decline_order": lambda world, node, user: {"reason": "越界"},
    "neighbourhood_api_schedule_order": lambda world, node, user: {
        "room_id": _room_at(world, node).pk, "starts_at": _tomorrow(10), "ends_at": _tomorrow(11)},
    "neighbourhood_api_rate_order": lambda world, node, user: {"rating": 5},
    "neighbourhood_api_rate_activity": lambda world, node, user: {"stars": 5},
    "neighbourhood_api_rate_feedback": lambda world, node, user: {"stars": 5},
    "neighbourhood_api_submit_feedback": lambda world, node, user: {
        "category": "noise", "description": "越界", "community": _community_in(node).code},
    "neighbourhood_api_update_feedback": lambda world, node, user: {"status": "accepted", "public_note": "越界"},
    "neighbourhood_api_choose_feedback_public": lambda world, node, user: {"public": True},
    # One's own account, closed only with one's password: a wrong one, so nothing is ever closed.
    "privacy_api_close_my_account": lambda world, node, user: {"password": "not-the-password", "understood": True},
    # Tags without consent: refused for a resident, and nobody else keeps a household.
    "neighbourhood_api_save_household": lambda world, node, user: {"members": 2, "tags": ["elderly"], "consent": False},
    # Community governance: aimed at a district the user does not read, or the neighbour's community.
    "governance_api_file_application": lambda world, node, user: {
        "district_code": _affair_district(world, node, user).code,
        "department_id": _department_of(_affair_district(world, node, user)).pk, "title": "越界任务", "role": "host",
        "legal_basis": "越界"},
    "governance_api_refuse_application": lambda world, node, user: {"reasons": "越界"},
    "governance_api_refuse_task": lambda world, node, user: {
        "community_code": _community_in(node).code, "department_id": _organisation_at(world, node).pk, "title": "越界任务"},
    "governance_api_create_project": lambda world, node, user: {
        "community_code": _community_in(node).code, "title": "越界项目", "starts_on": "2026-01-01",
        "parties": [{"party": "volunteers", "headcount": 1}]},
    "governance_api_add_party": lambda world, node, user: {"party": "volunteers", "headcount": 1},
    # Volunteers: signing up, teams, grid roles and opportunities in the neighbour's community.
    "volunteers_api_register": lambda world, node, user: {
        "community": _community_in(node).code, "real_name": "越界", "phone": "13800000000", "skills": ["elderly_care"], "consent": True},
    # One's own details: an invalid number, so nothing is ever written.
    "volunteers_api_update_me": lambda world, node, user: {"phone": "1", "skills": ["elderly_care"]},
    "volunteers_api_create_team": lambda world, node, user: {"community": _community_in(node).code, "name": "越界"},
    "volunteers_api_assign_grid_role": lambda world, node, user: {
        "volunteer_id": _volunteer_at(world, node).pk, "grid": f"{_community_in(node).code}-01", "role": "grid_volunteer"},
    "volunteers_api_publish": lambda world, node, user: {
        "community": _community_in(node).code, "title": "越界", "places": 3, "starts_at": _tomorrow(9), "ends_at": _tomorrow(11),
        "place": "越界"},
    "volunteers_api_cancel_opportunity": lambda world, node, user: {"reason": "越界"},
    "volunteers_api_decide": lambda world, node, user: {"accept": True},
    "volunteers_api_sign_in": lambda world, node, user: {"code": "123456"},
    "volunteers_api_sign_out": lambda world, node, user: {"code": "123456"},
    "volunteers_api_reject": lambda world, node, user: {"reason": "越界"},
    "volunteers_api_close": lambda world, node, user: {"signed_out_at": _tomorrow(0)},
}

# Admin models: an object of the neighbour's, to try the change page with.
ADMIN_OBJECTS = {
    "org.division": lambda world, node: node,
    "org.organisation": _organisation_at,
    "accounts.roleassignment": _role_at,
    "audit.auditevent": _event_at,
    "accounts.user": None,  # system administrators only
    "accounts.apitoken": None,  # system administrators only
    "django_tasks_database.dbtaskresult": None,  # system administrators only
    "axes.accessattempt": None,  # system administrators only
    "axes.accesslog": None,
    "axes.accessfailurelog": None,
    "ledger.account": None,  # system administrators only
    "ledger.transaction": None,
    "ledger.leg": None,
    "ledger.monthtotal": None,
    "funds.fund": lambda world, node: _fund_at(world, node),
    "funds.project": lambda world, node: __import__("funds.models", fromlist=["Project"]).Project.objects.get(
        pk=_fund_project_at(world, node)),
    "registry.site": lambda world, node: _site_at(world, node),
    "registry.room": lambda world, node: _room_at(world, node),
    "registry.cost": lambda world, node: registry_services.cost_record(
        actor="test", site=_site_at(world, node), year=2026, category="utilities", amount=Decimal("10"), paid_by="street"),
    "registry.starrating": None,  # computed; the site's page is checked through registry.site
    "registry.registryfiling": lambda world, node: RegistryFiling.objects.get(pk=_filing_at(world, node)),
    "registry.provisionproject": lambda world, node: ProvisionProject.objects.get(pk=_project_at(world, node)),
    "rulepack.rulepack": lambda world, node: RulePack.objects.get(pk=_pack_of_another_city(world, node)),
    "operations.admission": lambda world, node: _operator_admitted_at(world, node).admissions.first(),
    "operations.agreement": _agreement_at,
    "operations.operatingreport": lambda world, node: _agreement_at(world, node).reports.first(),
    "planning.network": lambda world, node: _network_at(world, node),
    "planning.scenario": lambda world, node: _scenario_at(world, node),
    "scheduling.booking": lambda world, node: __import__("scheduling.models", fromlist=["Booking"]).Booking.objects.get(
        pk=_booking_at(world, node)),
    "neighbourhood.need": lambda world, node: __import__("neighbourhood.models", fromlist=["Need"]).Need.objects.get(
        pk=_need_at(world, node)),
    "neighbourhood.activity": lambda world, node: _activity_at(world, node),
    "neighbourhood.serviceorder": lambda world, node: __import__("neighbourhood.models", fromlist=["ServiceOrder"]).ServiceOrder.objects.get(
        pk=_order_at(world, node)),
    "neighbourhood.feedbackrequest": lambda world, node: __import__("neighbourhood.models", fromlist=["FeedbackRequest"])
    .FeedbackRequest.objects.get(pk=_feedback_at(world, node)),
    "volunteers.volunteer": lambda world, node: _volunteer_at(world, node),
    "volunteers.team": lambda world, node: _team_at(world, node),
    "volunteers.opportunity": lambda world, node: _opportunity_at(world, node),
    "governance.listversion": lambda world, node: _affair_list_of(_district_beside(world, node)),
    "governance.affair": lambda world, node: _affair_list_of(_district_beside(world, node)).added_affairs.first(),
    "governance.affairapplication": _affair_application_beside,
    "governance.taskrefusal": _task_refusal_at,
    "governance.partnershipproject": lambda world, node: _partnership_project_at(world, node),
    "registry.sign": lambda world, node: __import__("registry.models", fromlist=["Sign"]).Sign.objects.get(pk=_sign_at(world, node)),
    "registry.signcleanup": lambda world, node: __import__("registry.models", fromlist=["SignCleanup"]).SignCleanup.objects.get(
        pk=_cleanup_at(world, node)),
    "scheduling.openresource": lambda world, node: _open_resource_at(world, node),
}


# Routes the matrix does not aim at a neighbour, each with the reason. tests/test_authz_matrix.py fails
# on a route that is neither aimed at the neighbour, nor a page or list read and searched for the
# neighbour's names, nor listed here (and on an entry here naming no route).

# API operations open without signing in, by operationId.
PUBLIC_OPERATIONS = {
    "accounts_api_issue_token": "signing in for a token: axes and the sign-in rate limit (accounts/tests/test_security.py)",
    "accounts_api_send_phone_code": "texting a sign-up code: per-number and per-address limits (accounts/tests)",
    "accounts_api_register_resident": "a resident signs up with a texted code; rate-limited (accounts/tests)",
    "org_api_pick_community": "community names and codes are public, for sign-up (tests/test_public_api.py)",
    "funds_api_public_disclosure": "a fund's public disclosure, without anonymous donors (tests/test_public_api.py)",
}

# Pages open without signing in (marked @core.views.public), by URL pattern.
PUBLIC_PAGES = {
    "": "the home page: a sign-in link, or the signed-in person's dashboard (walked as a signed-in page too)",
    "healthz": "the load balancer's liveness check: says ok, nothing else, touches nothing",
    "readyz": "readiness: which dependency check fails; the reasons only to loopback or METRICS_TOKEN (tests/test_health.py)",
    "metrics": "Prometheus figures, counts only: loopback or METRICS_TOKEN, else 403 (tests/test_health.py)",
    "accounts/login/": "signing in (axes and the sign-in rate limit)",
    "accounts/logout/": "signing out one's own session",
    "accounts/sign-up/": "a resident's sign-up (rate-limited)",
    "accounts/sign-up/code/": "texting a sign-up code (per-number and per-address limits)",
    "accounts/sign-up/communities/": "community names and codes are public, for sign-up",
    "scheduling/ical/<str:token>.ics": "a calendar feed: its signed token is the capability (scheduling/tests)",
    "funds/public/<str:code>/": "a fund's public disclosure (tests/test_public_api.py)",
    "open311/v2/discovery.json": "Open311 GeoReport v2: the endpoint's description",
    "open311/v2/services.json": "Open311: a city's feedback categories",
    "open311/v2/services/<str:service_code>.json": "Open311: one category's definition",
    "open311/v2/requests.json": "Open311: public requests without names or phones; POST needs an open311-scoped api_key",
    "open311/v2/requests/<str:request_id>.json": "Open311: one public request",
    "open311/v2/media/<int:request_id>": "Open311: the photo of a public request",
    "privacy/closed/": "the page after one's account is closed: what was kept, nothing of anyone",
}

# API operations whose answer is the caller's own record, which rightly names the places they acted in:
# not searched for the neighbour's names (the matrix's records of the neighbour were made in their name).
SELF_ONLY_OPERATIONS = {
    "privacy_api_my_personal_data": "the caller's own records (第四十五条), naming where they acted; privacy/tests check "
                                    "that it holds nobody else's",
}

# Signed-in pages without a parameter naming anybody's data that act on or show only the user's own
# things: not searched for the neighbour's names, and they may answer with a redirect after acting.
SELF_ONLY_PAGES = {
    "privacy/": "the user's own records (第四十五条), naming where they acted; privacy/tests check whose they are",
    "privacy/download/": "the user's own records as a file (第四十五条); privacy/tests check whose they are",
    "privacy/close/": "closing one's own account (第四十七条): the form and what will be kept of one's own records",
    "notifications/read/": "marks the user's own notifications read",
    "excel/imports/": "starts an import of the user's own upload; each row is checked against their scope in the task "
                      "(excel/tests); an empty post goes back to the list",
    "excel/<str:register_name>/export/": "starts an export of what the user may see into their own job (excel/tests; the job "
                                         "page is aimed at someone else's job by job_id)",
}
