"""Import of a 100,000-row register workbook: the streaming bulk import against row-by-row services.

Writes a real .xlsx with 20,000 sites and 80,000 rooms (functions by name, opening hours as
people write them) for 2,000 communities, then imports it the way the task worker does
(``excel.registers.import_workbook``: read-only streaming, chunks checked and bulk-inserted in
one transaction, an audit event per record). The baseline is the obvious alternative, every
row through the services one by one (``run_rows_atomically``), timed on 2,000 rooms and scaled.
Memory is the process's peak resident size, read before and after.
"""

import io
import random
import sys
import time
from decimal import Decimal

from common import peak_rss_mb, prefer_postgres, report, say, throwaway_database

SITES_PER_COMMUNITY = 10
ROOMS_PER_SITE = 4
COMMUNITIES = 2000
BASELINE_ROOMS = 2000
FUNCTIONS = ["党群服务大厅", "居民会客厅", "调解室", "老年食堂（长者食堂）", "托育服务设施", "图书阅览室", "文体活动室", "便民服务窗口"]


def build_tree():
    from org.models import Division
    from rulepack.services import rulepack_ensure

    def node(parent, code, level, depth):
        return Division(code=code, name=code, level=level, parent=parent, path=f"{parent.path if parent else ''}{code}/", depth=depth)

    city = Division.objects.bulk_create([node(None, "359900000000", "city", 0)])[0]
    districts = Division.objects.bulk_create([node(city, f"3599{d:02d}000000", "district", 1) for d in range(1, 11)])
    streets = Division.objects.bulk_create([node(d, f"{d.code[:6]}{s:03d}000", "street", 2) for d in districts for s in range(1, 21)])
    communities = Division.objects.bulk_create([node(s, f"{s.code[:9]}{k:03d}", "community", 3) for s in streets for k in range(1, 11)])
    rulepack_ensure(city=city)
    return communities[:COMMUNITIES]


def write_workbook(communities) -> bytes:
    from openpyxl import Workbook

    rng = random.Random(5)
    book = Workbook(write_only=True)
    sites = book.create_sheet("场所")
    sites.append(["场所编号", "所属社区或街道代码", "场所名称", "场所类型", "建筑面积（平方米）", "首层面积（平方米）", "沿街独立出入口",
                  "开放时间", "产权性质", "产权来源", "产权人或出租方", "租期起", "租期止", "年租金（元）"])
    rooms = book.create_sheet("房间")
    rooms.append(["场所编号", "房间名称", "楼层", "面积（平方米）", "容纳人数", "用途", "功能", "设备"])
    room_rows = []
    for community in communities:
        for number in range(1, SITES_PER_COMMUNITY + 1):
            code = f"{community.code}-S{number:02d}"
            leased = rng.random() < 0.3
            sites.append([code, community.code, f"{community.code}第{number}处", "社区服务站" if number > 1 else "党群服务中心",
                          400, 200, "是", "周一至周五 08:30-17:30；周六 09:00-12:00", "行政事业性国有资产", "租赁" if leased else "街道自有",
                          "某物业公司" if leased else None, "2024-01-01" if leased else None, "2029-12-31" if leased else None,
                          36000 if leased else None])
            for index in range(ROOMS_PER_SITE):
                room_rows.append([code, f"房间{index + 1}", 1 + index % 3, 80, 30, "服务" if index else "办公",
                                  "、".join(rng.sample(FUNCTIONS, 2)), "投影仪、音响"])
    for row in room_rows:
        rooms.append(row)
    book.create_sheet("费用").append(["场所编号", "房间名称", "年度", "费用类别", "金额（元）", "支付方"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def baseline_rooms(actor, sites, count: int) -> float:
    """Rooms one by one through the service, as an import without a bulk path would."""
    from django.db import transaction

    from excel.registers import run_rows_atomically
    from registry import services

    rows = [(n, {"site": sites[n % len(sites)], "name": f"逐行{n}"}, []) for n in range(count)]

    def apply(number, record):
        services.room_create(actor=actor, site=record["site"], name=record["name"], area=Decimal("5"), capacity=4,
                             functions=["party_hall", "mediation_room"])
        return "created"

    start = time.perf_counter()
    try:
        with transaction.atomic():
            run_rows_atomically(rows, apply, lambda n: None)
            transaction.set_rollback(True)
    finally:
        pass
    return (time.perf_counter() - start) / count


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection

        from accounts.models import User
        from excel.registers import get_register, import_workbook
        from registry.models import Room, Site

        say(f"database: {connection.vendor}")
        actor = User.objects.create_superuser("bench", "bench@example.org", "bench-password-123")
        communities = build_tree()
        content = write_workbook(communities)
        rows = COMMUNITIES * SITES_PER_COMMUNITY * (1 + ROOMS_PER_SITE)
        say(f"workbook: {rows:,} rows, {len(content) / 1e6:.1f} MB")
        before = peak_rss_mb()
        start = time.perf_counter()
        summary = import_workbook(io.BytesIO(content), get_register("registry.workbook"), actor=actor, params={},
                                  progress=lambda n: None)
        seconds = time.perf_counter() - start
        grew = peak_rss_mb() - before
        assert summary["created"] == rows, summary
        assert Room.objects.count() == COMMUNITIES * SITES_PER_COMMUNITY * ROOMS_PER_SITE
        say(f"imported {summary['created']:,} records in {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
            f"peak memory grew by {grew:.0f} MB")
        per_row = baseline_rooms(actor, list(Site.objects.all()[:200]), BASELINE_ROOMS)
        baseline = per_row * rows
        say(f"row-by-row services: {per_row * 1000:.2f} ms per row ≈ {baseline:.0f} s for the workbook")
        ok_time = report("register-import", seconds, f"s for {rows:,} rows", baseline / seconds, "row-by-row services",
                         "< 60 s", seconds < 60)
        ok_memory = report("register-import-memory", grew, "MB peak growth", 1.0, "itself", "< 600 MB", grew < 600)
    return 0 if ok_time and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
