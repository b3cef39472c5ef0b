"""The indicator pages: a supervisor reads their area's indicators against the targets, drills
down to the units under it, exports both to Excel; a neighbour's area is not theirs to read."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from core.measures import Month
from registry import services as registry_services
from supervision import services

NOVEMBER = Month(date(2026, 11, 1))
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def taken(world):
    community = world.node("甲市一区一街一社")
    registry_services.site_create(actor="test", division=community, name="一社党群服务中心", kind="party_mass_centre",
                                  floor_area=Decimal(1600), ground_floor_area=Decimal(1600), property_class="state_admin",
                                  property_source="street_owned")
    services.snapshot_take(city=world.node("甲市"), month=NOVEMBER, now=datetime(2026, 11, 20, tzinfo=ZoneInfo("Asia/Shanghai")))
    return world


@pytest.mark.django_db
class TestIndicatorPages:
    def test_the_district_supervisor_reads_the_indicators_of_the_district(self, client, taken):
        client.force_login(taken.users["supervisor"])
        home = client.get("/supervision/")
        assert home.status_code == 302 and home["Location"].endswith(f"/supervision/{taken.node('甲市一区').code}/")
        page = client.get(home["Location"], {"month": "2026-11"}, **ZH).content.decode()
        assert "社区服务用房面积达标率" in page and "25%" in page  # 1 of the district's 4 communities meets the area standard
        assert "未达标" in page

    def test_the_street_is_ranked_and_a_community_leads_to_its_records(self, client, taken):
        client.force_login(taken.users["supervisor"])
        street = taken.node("甲市一区一街")
        page = client.get(f"/supervision/{street.code}/supervision.indicator.1/", {"month": "2026-11"}, **ZH).content.decode()
        first, second = page.index("甲市一区一街二社"), page.index("甲市一区一街一社")
        assert first < second  # furthest from the target first
        community = taken.node("甲市一区一街一社").code
        assert f"/supervision/{community}/supervision.indicator.1/" in page  # down to the community,
        page = client.get(f"/supervision/{community}/supervision.indicator.1/", {"month": "2026-11"}, **ZH).content.decode()
        assert f"/registry/{community}/compliance/" in page  # and from there to the records behind its figure

    def test_both_tables_export_to_excel(self, client, taken):
        client.force_login(taken.users["city_supervisor"])
        city = taken.node("甲市")
        board = client.get(f"/supervision/{city.code}/", {"month": "2026-11", "format": "xlsx"}, **ZH)
        rows = list(load_workbook(BytesIO(board.content)).active.iter_rows(values_only=True))
        assert rows[1][0] == "指标" and any(row[0] == "社区服务用房面积达标率" and row[1] == "12.5%" for row in rows)
        ranked = client.get(f"/supervision/{city.code}/supervision.indicator.1/", {"month": "2026-11", "format": "xlsx"}, **ZH)
        names = [row[0] for row in load_workbook(BytesIO(ranked.content)).active.iter_rows(min_row=3, values_only=True)]
        assert names == ["甲市二区", "甲市一区"]

    @pytest.mark.parametrize("role, neighbour", [("supervisor", "甲市二区"), ("street_admin", "甲市一区二街"),
                                                 ("city_supervisor", "乙市")])
    def test_a_neighbours_indicators_are_refused(self, client, taken, role, neighbour):
        client.force_login(taken.users[role])
        code = taken.node(neighbour).code
        assert client.get(f"/supervision/{code}/").status_code == 404
        assert client.get(f"/supervision/{code}/supervision.indicator.1/").status_code == 404

    def test_roles_without_supervision_do_not_see_it(self, client, taken):
        for role in ("resident", "operator_staff"):
            client.force_login(taken.users[role])
            assert client.get("/supervision/").status_code == 404
            assert "/supervision/" not in client.get("/", **ZH).content.decode()


def pdf_text(pdf: bytes) -> str:
    """The words of a ReportLab PDF set in its CID font: its page streams inflated, their strings read as UCS-2."""
    import base64
    import re
    import zlib

    words = []
    for found in re.finditer(rb"/Filter \[ /ASCII85Decode /FlateDecode \].*?stream\r?\n(.*?)endstream", pdf, re.S):
        content = zlib.decompress(base64.a85decode(found.group(1).strip(), adobe=True))
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            raw = re.sub(rb"\\([0-7]{3}|.)", lambda m: bytes([int(m.group(1), 8)]) if len(m.group(1)) == 3 else m.group(1), literal)
            words.append(raw.decode("utf-16-be", errors="replace"))
    return "".join(words)


@pytest.mark.django_db
def test_the_monthly_report_is_a_pdf_in_chinese_with_its_charts(client, taken):
    client.force_login(taken.users["supervisor"])
    response = client.get(f"/supervision/{taken.node('甲市一区').code}/report.pdf", {"month": "2026-11"}, **ZH)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"STSong-Light" in response.content
    text = pdf_text(response.content)
    assert "甲市一区2026年11月社区服务场所工作月报" in text and "社区服务用房面积达标率" in text and "甲市一区二街" in text
    client.force_login(taken.users["street_admin"])
    assert client.get(f"/supervision/{taken.node('甲市一区').code}/report.pdf").status_code == 404
