import pytest
from django.utils import translation

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from org import services
from org.models import Division


@pytest.mark.django_db
class TestDivisionCreate:
    def test_levels_follow_the_parent_and_paths_nest(self, world):
        street = world.node("甲市一区一街")
        community = services.division_create(actor="t", parent=street, code="350101001003", name="新社区")
        assert community.level == "community"
        assert community.path == street.path + "350101001003/"
        assert community.depth == street.depth + 1
        assert street.contains(community) and not community.contains(street)

    @pytest.mark.parametrize("code, message", [
        ("35010100100", "12"),            # too short
        ("350101001000", "zero"),         # a community's own digits all zero
        ("350199001001", "first 9"),      # not under its street
        ("3501010010x1", "12"),           # not digits
    ])
    def test_refuses_codes_that_do_not_fit_the_national_scheme(self, world, code, message):
        street = world.node("甲市一区一街")
        with translation.override("en"), pytest.raises(ValidationFailed) as refused:
            services.division_create(actor="t", parent=street, code=code, name="错")
        assert message in " ".join(refused.value.fields["code"])
        assert not Division.objects.filter(code=code, name="错").exists()

    def test_refuses_a_code_already_in_use(self, world):
        with pytest.raises(Conflict):
            services.division_create(actor="t", parent=world.node("甲市一区一街"), code="350101001001", name="重复")

    def test_only_communities_have_a_community_type(self, world):
        with pytest.raises(ValidationFailed) as refused:
            services.division_create(actor="t", parent=world.node("甲市一区"), code="350101003000", name="街",
                                     community_type="old_estate")
        assert "community_type" in refused.value.fields

    def test_grid_codes_extend_their_community_code(self, world):
        community = world.node("甲市一区一街一社")
        grid = services.division_create(actor="t", parent=community, code=f"{community.code}-07", name="七格")
        assert grid.level == "grid"
        with pytest.raises(ValidationFailed):
            services.division_create(actor="t", parent=community, code="350101001002-08", name="错格")

    def test_nothing_goes_below_a_grid(self, world):
        with pytest.raises(ValidationFailed):
            services.division_create(actor="t", parent=world.node("甲市一区一街一社一格"), code="x", name="x")

    def test_creation_is_audited(self, world):
        division = services.division_create(actor="t", parent=world.node("甲市一区一街"), code="350101001009", name="九社")
        event = AuditEvent.objects.get(action="org.division.created", target_id=str(division.pk))
        assert event.division == division
        assert event.changes["name"] == "九社"


@pytest.mark.django_db
class TestDivisionUpdate:
    def test_records_what_changed(self, world):
        community = world.node("甲市一区一街一社")
        services.division_update(actor=world.users["street_admin"], division=community, data={"population": 4321, "name": "一社"})
        event = AuditEvent.objects.filter(action="org.division.updated").latest("id")
        assert event.actor == world.users["street_admin"]
        assert event.changes == {"name": ["甲市一区一街一社", "一社"], "population": [1000, 4321]}

    def test_no_event_when_nothing_changed(self, world):
        community = world.node("甲市一区一街一社")
        before = AuditEvent.objects.count()
        services.division_update(actor="t", division=community, data={"population": community.population})
        assert AuditEvent.objects.count() == before

    def test_a_new_code_moves_the_path(self, world):
        grid = world.node("甲市一区一街一社一格")
        community = world.node("甲市一区一街一社")
        services.division_update(actor="t", division=grid, data={"code": f"{community.code}-09"})
        grid.refresh_from_db()
        assert grid.path == f"{community.path}{community.code}-09/"

    def test_a_division_with_children_keeps_its_code(self, world):
        with pytest.raises(Conflict):
            services.division_update(actor="t", division=world.node("甲市一区一街"), data={"code": "350101009000"})

    def test_fields_outside_the_editable_set_are_refused(self, world):
        with pytest.raises(ValidationFailed) as refused:
            services.division_update(actor="t", division=world.node("甲市一区"), data={"level": "city"})
        assert "level" in refused.value.fields


def test_credit_codes_are_checked_with_their_check_character():
    valid = services.credit_code_with_check("91350100MA2XXXXXX")
    assert services.credit_code_errors(valid) == []
    wrong_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    assert services.credit_code_errors(wrong_check)
    assert services.credit_code_errors("123")
    assert services.credit_code_errors(valid.replace("M", "I"))  # I, O, Z, S, V are never used
