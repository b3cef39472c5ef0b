"""The Open311 GeoReport v2 endpoint, called over HTTP by a real client against the live server,
as an Open311 client (a city app, a 12345 hotline system) would."""

import pytest
import requests

from accounts.services import token_issue

from .. import services
from ..models import FeedbackRequest

pytestmark = pytest.mark.django_db(transaction=True)

CITY = "350100000000"  # 甲市


@pytest.fixture
def api(live_server):
    return f"{live_server.url}/open311/v2"


def test_services_list_the_citys_feedback_categories(api, world):
    response = requests.get(f"{api}/services.json", params={"jurisdiction_id": CITY}, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    services_ = response.json()
    noise = next(s for s in services_ if s["service_code"] == "noise")
    assert noise == {"service_code": "noise", "service_name": "噪声扰民", "description": "装修、广场舞、商铺噪声", "metadata": True,
                     "type": "realtime", "keywords": "邻里关系", "group": "邻里关系"}
    # The one attribute every service has: whether the sender shows the request publicly (private unless they say so).
    [public] = requests.get(f"{api}/services/noise.json", timeout=10).json()["attributes"]
    assert public["code"] == "public" and public["datatype"] == "singlevaluelist" and public["required"] is False
    assert [v["key"] for v in public["values"]] == ["false", "true"]
    discovery = requests.get(f"{api}/discovery.json", timeout=10).json()
    assert discovery["endpoints"][0]["url"] == f"{api}/" and discovery["endpoints"][0]["formats"] == ["application/json"]


def test_a_client_files_a_request_follows_it_and_sees_it_closed(api, world):
    resident = world.users["resident"]
    _token, key = token_issue(actor=resident, name="城市App", scope="open311")
    created = requests.post(f"{api}/requests.json", data={
        "api_key": key, "jurisdiction_id": CITY, "service_code": "public_facilities", "lat": "24.500100", "long": "118.100200",
        "address_string": "3号楼前健身区", "description": "健身器材扶手断了，老人容易摔倒", "first_name": "阿姨", "last_name": "赵",
        "phone": "13800000009", "attribute[public]": "true"}, timeout=10)
    assert created.status_code == 201, created.text
    [answer] = created.json()
    request_id = answer["service_request_id"]
    assert "甲市一区一街一社" in answer["service_notice"]
    [shown] = requests.get(f"{api}/requests/{request_id}.json", timeout=10).json()
    assert shown["status"] == "open" and shown["service_code"] == "public_facilities"
    assert (shown["lat"], shown["long"]) == (24.5, 118.1)  # about 100 m, not the spot
    assert shown["agency_responsible"] == "甲市一区一街一社" and shown["expected_datetime"] is not None
    assert "13800000009" not in created.text + str(shown) and "赵" not in str(shown)  # no name or phone in public
    item = FeedbackRequest.objects.get(pk=request_id)
    assert item.source == "open311" and item.contact_phone == "13800000009"
    services.feedback_update(actor=world.users["community_worker"], request=item, status="resolved", public_note="已更换扶手")
    [closed] = requests.get(f"{api}/requests/{request_id}.json", timeout=10).json()
    assert closed["status"] == "closed" and closed["status_notes"] == "已更换扶手"
    listed = requests.get(f"{api}/requests.json", params={"status": "closed", "service_code": "public_facilities"}, timeout=10).json()
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert requests.get(f"{api}/requests.json", params={"status": "open"}, timeout=10).json() == []


def test_bad_calls_get_the_standards_error_shape_and_write_nothing(api, world):
    _token, key = token_issue(actor=world.users["resident"], name="城市App", scope="open311")
    unknown = requests.post(f"{api}/requests.json", data={"api_key": key, "service_code": "ufo_sighting", "lat": "24.5", "long": "118.1",
                                                         "description": "x"}, timeout=10)
    assert unknown.status_code == 400
    assert unknown.json() == [{"code": 400, "description": "未知的服务代码：ufo_sighting"}]  # in Chinese, the default language
    no_key = requests.post(f"{api}/requests.json", data={"service_code": "noise", "lat": "24.5", "long": "118.1"}, timeout=10)
    assert no_key.status_code == 403 and no_key.json()[0]["code"] == 403
    nowhere = requests.post(f"{api}/requests.json", data={"api_key": key, "service_code": "noise", "description": "x"}, timeout=10)
    assert nowhere.status_code == 400
    assert requests.get(f"{api}/requests/999999.json", timeout=10).status_code == 404
    assert requests.get(f"{api}/requests.json", params={"start_date": "yesterday"}, timeout=10).status_code == 400
    assert requests.get(f"{api}/services.json", params={"jurisdiction_id": "999"}, timeout=10).json()[0]["code"] == 404
    assert not FeedbackRequest.objects.exists()


def test_private_requests_are_not_listed(api, world):
    item = services.feedback_submit(actor=world.users["resident"], category="neighbour_dispute", description="与邻居的纠纷", public=False)
    assert requests.get(f"{api}/requests/{item.pk}.json", timeout=10).status_code == 404
    assert requests.get(f"{api}/requests.json", timeout=10).json() == []


def test_a_request_is_private_unless_the_client_says_public(api, world):
    _token, key = token_issue(actor=world.users["resident"], name="城市App", scope="open311")
    base = {"api_key": key, "jurisdiction_id": CITY, "service_code": "noise", "lat": "24.5", "long": "118.1", "description": "夜里装修"}
    [quiet] = requests.post(f"{api}/requests.json", data=base, timeout=10).json()
    assert requests.get(f"{api}/requests/{quiet['service_request_id']}.json", timeout=10).status_code == 404
    assert FeedbackRequest.objects.get(pk=quiet["service_request_id"]).public is False
    wrong = requests.post(f"{api}/requests.json", data={**base, "attribute[public]": "maybe"}, timeout=10)
    assert wrong.status_code == 400 and FeedbackRequest.objects.count() == 1
