import pytest

from accounts import permissions
from accounts.models import Role
from audit.models import AuditEvent
from org.models import Division, Organisation
from tests.world import make_user


@pytest.mark.django_db
class TestScopes:
    def test_a_role_reaches_its_node_and_below(self, world):
        user = world.users["street_admin"]
        visible = set(permissions.visible_to(user, "org.view_division", Division.objects.all()).values_list("name", flat=True))
        assert "甲市一区一街一社一格" in visible and "甲市一区一街" in visible
        assert "甲市一区" not in visible and "甲市一区二街" not in visible

    def test_operator_staff_reach_what_their_organisation_serves(self, world):
        user = world.users["operator_staff"]
        visible = set(permissions.visible_to(user, "org.view_division", Division.objects.all()).values_list("name", flat=True))
        assert visible == {"甲市一区一街一社", "甲市一区一街一社一格"}
        organisations = permissions.visible_to(user, "org.view_organisation", Organisation.objects.all())
        assert [o.name for o in organisations] == ["甲市一区一街一社服务中心"]

    def test_a_district_supervisor_sees_a_city_wide_charity_serving_their_district(self, world):
        charity = Organisation.objects.create(name="甲市慈善总会", kind="charity", public_fundraising=True, home_division=world.node("甲市"))
        charity.served_divisions.set([world.node("甲市")])
        names = set(permissions.visible_to(world.users["supervisor"], "org.view_organisation", Organisation.objects.all()).values_list("name", flat=True))
        assert "甲市慈善总会" in names and "甲市二区慈善会" not in names

    def test_several_roles_add_up(self, world):
        user = world.users["community_worker"]
        make_user("second_role_holder")  # unrelated user, to make sure only the user's roles count
        from accounts import services
        services.role_assign(actor="t", user=user, role=Role.COMMUNITY_WORKER, division=world.node("甲市二区一街一社"))
        visible = set(permissions.visible_to(user, "org.view_division", Division.objects.filter(level="community")).values_list("name", flat=True))
        assert visible == {"甲市一区一街一社", "甲市二区一街一社"}

    def test_a_revoked_role_reaches_nothing(self, world):
        from accounts import services
        user = world.users["community_worker"]
        services.role_revoke(actor="t", assignment=user.role_assignments.get())
        permissions.forget_roles(user)
        assert not permissions.visible_to(user, "org.view_division", Division.objects.all()).exists()
        assert not user.has_perm("org.view_division", world.node("甲市一区一街一社"))

    def test_object_checks_and_list_filters_agree(self, world):
        for role in (Role.SUPERVISOR, Role.STREET_ADMIN, Role.COMMUNITY_WORKER, Role.OPERATOR_STAFF):
            user = world.users[role]
            visible = set(permissions.visible_to(user, "org.view_division", Division.objects.all()))
            for division in Division.objects.all():
                assert (division in visible) == user.has_perm("org.view_division", division), (role, division.name)

    def test_audit_events_are_scoped_by_their_division(self, world):
        events = permissions.visible_to(world.users["street_admin"], "audit.view_auditevent", AuditEvent.objects.all())
        assert events.exists()
        assert all(e.division.path.startswith(world.node("甲市一区一街").path) for e in events.select_related("division"))

    def test_an_unknown_permission_is_a_programming_error(self, world):
        with pytest.raises(KeyError):
            permissions.reaches(world.users["supervisor"], "org.fly_division")


@pytest.mark.django_db
class TestWhoMayGrantWhat:
    def test_a_street_administrator_grants_community_roles_in_their_street(self, world):
        admin = world.users["street_admin"]
        assert permissions.can_assign(admin, role=Role.COMMUNITY_WORKER, division=world.node("甲市一区一街二社"))
        assert not permissions.can_assign(admin, role=Role.COMMUNITY_WORKER, division=world.node("甲市一区二街一社"))
        assert not permissions.can_assign(admin, role=Role.SUPERVISOR, division=world.node("甲市一区一街"))

    def test_nobody_makes_a_peer_at_their_own_node(self, world):
        assert not permissions.can_assign(world.users["street_admin"], role=Role.STREET_ADMIN, division=world.node("甲市一区一街"))
        assert permissions.can_assign(world.users["supervisor"], role=Role.STREET_ADMIN, division=world.node("甲市一区一街"))
        assert permissions.can_assign(world.users["city_supervisor"], role=Role.SUPERVISOR, division=world.node("甲市一区"))

    def test_residents_and_workers_grant_nothing(self, world):
        for role in (Role.RESIDENT, Role.COMMUNITY_WORKER, Role.OPERATOR_STAFF):
            assert not permissions.can_assign(world.users[role], role=Role.RESIDENT, division=world.node("甲市一区一街一社"))
