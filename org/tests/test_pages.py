import pytest

from audit.models import AuditEvent
from org.models import Division, Organisation


@pytest.mark.django_db
class TestDivisionPages:
    def test_the_tree_opens_at_the_users_node(self, client, world):
        client.force_login(world.users["street_admin"])
        response = client.get("/divisions/")
        assert response.status_code == 302
        assert response["Location"] == f"/divisions/{world.node('甲市一区一街').code}/"

    def test_a_division_page_lists_children_with_their_figures(self, client, world, django_assert_max_num_queries):
        client.force_login(world.users["supervisor"])
        with django_assert_max_num_queries(20):
            response = client.get(f"/divisions/{world.node('甲市一区').code}/")
        page = response.content.decode()
        assert response.status_code == 200
        assert "甲市一区一街" in page and "甲市一区二街" in page
        assert "甲市二区" not in page

    def test_a_street_administrator_edits_a_community_on_its_page(self, client, world):
        client.force_login(world.users["street_admin"])
        community = world.node("甲市一区一街一社")
        url = f"/divisions/{community.code}/edit/"
        assert client.get(url).status_code == 200
        response = client.post(url, {"code": community.code, "name": community.name, "population": 2222,
                                     "households": 800, "community_type": "historic"})
        assert response.status_code == 302
        community.refresh_from_db()
        assert (community.population, community.community_type) == (2222, "historic")
        assert AuditEvent.objects.filter(action="org.division.updated", target_id=str(community.pk)).exists()

    def test_a_bad_code_shows_on_the_form_and_changes_nothing(self, client, world):
        client.force_login(world.users["supervisor"])
        street = world.node("甲市一区一街")
        response = client.post(f"/divisions/{street.code}/add/", {"code": "123", "name": "坏", "population": 0, "households": 0})
        assert response.status_code == 200
        assert "invalid-feedback" in response.content.decode()
        assert not Division.objects.filter(name="坏").exists()

    def test_a_community_worker_has_no_edit_page(self, client, world):
        client.force_login(world.users["community_worker"])
        assert client.get(f"/divisions/{world.node('甲市一区一街一社').code}/edit/").status_code == 403


@pytest.mark.django_db
class TestOrganisationPages:
    def test_a_street_administrator_registers_an_operator(self, client, world):
        client.force_login(world.users["street_admin"])
        community = world.node("甲市一区一街二社")
        response = client.post("/organisations/new/", {
            "name": "乐龄助餐服务有限公司", "kind": "operator", "operator_kind": "enterprise",
            "home_division_code": world.node("甲市一区一街").code, "served_division_codes": community.code,
        })
        assert response.status_code == 302, response.content.decode()[:2000]
        organisation = Organisation.objects.get(name="乐龄助餐服务有限公司")
        assert list(organisation.served_divisions.all()) == [community]

    def test_the_list_filters_as_you_type(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.get("/organisations/?q=慈善", HTTP_HX_REQUEST="true")
        page = response.content.decode()
        assert "甲市一区慈善会" in page and "服务中心" not in page
        assert "<html" not in page  # an HTMX request gets the rows only
