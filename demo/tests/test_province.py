"""The province-scale build (`linli demo --scale province`), at a small size: the rows are what the
services would have written — no room booked twice, every ledger balance and monthly total equal
to its legs, registrations within capacity — and the month's figures are taken, so the bureau's
dashboard of the province shows every indicator."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from demo.province import CITY_CODE, Size, build_province
from tests.concurrency import requires_postgresql

# The measures the province's records feed (it has no life-circle analysis, volunteers, five-party projects
# or units' resources; and one this small may have no breach open, so no age of open breaches).
FED_BY_THE_PROVINCE = {
    "registry.area_compliance", "registry.function_completeness", "registry.standards_met", "registry.street_centres",
    "registry.elderly_child_facilities", "scheduling.utilisation", "scheduling.idle_rooms", "operations.operators_admitted",
    "operations.agreements_in_force", "operations.breaches_open", "operations.government_savings",
    "funds.communities_with_fund", "funds.money_raised", "neighbourhood.needs_met", "neighbourhood.person_times",
    "neighbourhood.feedback_on_time", "neighbourhood.satisfaction",
}
SMALL = Size(districts=2, streets_per_district=2, communities_per_street=3, bookings_per_room=6)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal on SQLite")
def test_the_province_is_refused_on_sqlite_with_a_reason():
    from org.models import Division

    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("demo", "--scale", "province", "--quiet")
    assert not Division.objects.exists()


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_small_province_is_built_as_the_services_would_write_it():
    from accounts.models import User
    from core.measures import MEASURES, Month
    from funds.models import Income
    from ledger.models import Account, Leg, MonthTotal
    from neighbourhood.models import Activity, Registration
    from org.models import Division, DivisionLevel
    from scheduling.models import HOLDING, Booking
    from supervision import selectors
    from supervision.models import Snapshot

    messages = []
    counts = build_province(seed=7, size=SMALL, say=messages.append)
    city = Division.objects.get(code=CITY_CODE)
    assert counts["communities"] == Division.objects.filter(path__startswith=city.path, level=DivisionLevel.COMMUNITY).count() == 12
    assert counts["bookings"] == Booking.objects.count() > 0
    assert any("bookings:" in m for m in messages), "each table's rows are reported as they go in"

    # The tables were indexed after they were filled: every index and constraint is back.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'booking_room_never_double_booked'")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname IN ('registration_once_per_activity', 'ledger_leg_account_txn')")
        assert cursor.fetchone()[0] == 2

    # No room is held twice at once (the database's exclusion constraint would have refused it; checked here too).
    holding = list(Booking.objects.filter(status__in=HOLDING).order_by("room_id", "starts_at").values_list("room_id", "starts_at", "ends_at"))
    for (room, _starts, ends), (next_room, next_starts, _ends) in zip(holding, holding[1:], strict=False):
        assert room != next_room or next_starts >= ends

    # The ledger's kept figures are its legs'.
    legs = dict(Leg.objects.values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total"))
    for account_id, balance in Account.objects.values_list("pk", "balance"):
        assert balance == legs.get(account_id, Decimal(0))
    assert MonthTotal.objects.aggregate(total=Sum("amount"))["total"] == Decimal(0)  # every transfer's two sides
    assert Income.objects.aggregate(total=Sum("amount"))["total"] == Leg.objects.filter(amount__gt=0).aggregate(total=Sum("amount"))["total"]

    # Registrations within capacity and counted on their activity.
    for activity_id, places, registered in Activity.objects.annotate(n=Count("registrations")).values_list("pk", "registered_places", "n"):
        assert places == registered, activity_id
    assert Registration.objects.count() == counts["registrations"]

    # New rows through the ORM take ids after the copied ones.
    User.objects.create(username="after-the-province")

    # Every month of the year is taken, and the city's board shows every indicator.
    month = Month.of(timezone.localdate()).previous()
    assert Snapshot.objects.filter(division=city).values("month").distinct().count() == 12
    taken = set(Snapshot.objects.filter(division=city, month=month.since).values_list("measure", flat=True))
    assert taken >= FED_BY_THE_PROVINCE and set(MEASURES) >= FED_BY_THE_PROVINCE
    supervisor = User.objects.get(username="minzheng_sheng")
    rows = selectors.board(user=supervisor, division=city, month=month)
    assert rows and all(row.figure.counted for row in rows if row.indicator.measure.code in taken)

    with pytest.raises(RuntimeError, match="already"):
        build_province(seed=7, size=SMALL, say=messages.append)
