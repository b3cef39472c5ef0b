"""Volunteer-hour totals of a district: 100,000 volunteers, 5,000,000 hours records.

Builds a district of 50 streets and 1,000 communities with 100 volunteers each and 50 confirmed
records per volunteer over a year, written with INSERT … SELECT generate_series the way the
services leave them (records, each volunteer's kept time bank, the kept month totals per
community), then times what the district's volunteers page reads — ``selectors.district_totals``:
hours per community and per street, and the time banks of the volunteers most hours first —
against asking each volunteer's sum of records in turn (one aggregate per volunteer, timed on a
sample of 500 and scaled to all 100,000, and checked to give the same figures).
"""

import sys
import time

from common import best_of, build_tree, prefer_postgres, report, say, throwaway_database

VOLUNTEERS = 100_000
RECORDS = 5_000_000
STREETS = 50
COMMUNITIES = 1_000
SAMPLE = 500


def build():
    from django.db import connection

    from accounts.models import User

    city, district, _streets, communities = build_tree(streets=STREETS, communities_per_street=COMMUNITIES // STREETS)
    first_community = min(c.pk for c in communities)
    organiser = User.objects.create(username="bench-organiser")
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO accounts_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                                       date_joined, display_name, phone, phone_verified_at)
            SELECT '!', NULL, false, 'v' || i, '', '', '', false, true, now(), '', NULL, NULL FROM generate_series(1, {VOLUNTEERS}) AS i""")
        cursor.execute("SELECT min(id) FROM accounts_user WHERE username LIKE 'v%%'", [])
        first_user = cursor.fetchone()[0]
        # Volunteer i lives in community i % COMMUNITIES.
        cursor.execute(f"""
            INSERT INTO volunteers_volunteer (user_id, community_id, real_name, phone, id_number, skills, availability, agreement_version,
                                              consented_at, status, confirmed_minutes, created_at)
            SELECT {first_user} + i, {first_community} + i %% {COMMUNITIES}, '志愿者' || i, '13800000000', '', '["elderly_care"]',
                   '[]', '2026.1', now(), 'active', 0, now()
            FROM generate_series(0, {VOLUNTEERS - 1}) AS i""", [])
        # One opportunity per community and month.
        cursor.execute(f"""
            INSERT INTO volunteers_opportunity (community_id, title, description, skills, places, accepted_count, auto_accept, starts_at,
                                                ends_at, place, status, code_secret, created_by_id, created_at, cancel_reason)
            SELECT {first_community} + c, '岗位', '', '[]', 1000, 100, true, TIMESTAMPTZ '2026-01-05 01:00+00' + (m || ' months')::interval,
                   TIMESTAMPTZ '2026-01-05 01:00+00' + (m || ' months')::interval + interval '3 hours', '广场', 'open', 's', {organiser.pk},
                   now(), ''
            FROM generate_series(0, {COMMUNITIES - 1}) AS c, generate_series(0, 11) AS m""")
        cursor.execute("SELECT min(id) FROM volunteers_opportunity")
        first_opportunity = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM volunteers_volunteer")
        first_volunteer = cursor.fetchone()[0]
        per = RECORDS // VOLUNTEERS
        # Record r: volunteer r %% VOLUNTEERS at their community's opportunity of month (r / VOLUNTEERS) %% 12, 30–180 minutes.
        cursor.execute(f"""
            INSERT INTO volunteers_servicerecord (volunteer_id, opportunity_id, community_id, signed_in_at, signed_out_at, method, minutes,
                                                  status, confirmed_by_id, confirmed_at, note)
            SELECT {first_volunteer} + v, {first_opportunity} + (v %% {COMMUNITIES}) * 12 + (k %% 12), {first_community} + v %% {COMMUNITIES},
                   TIMESTAMPTZ '2026-01-05 01:00+00' + ((k %% 12) || ' months')::interval + (k || ' hours')::interval,
                   TIMESTAMPTZ '2026-01-05 01:00+00' + ((k %% 12) || ' months')::interval + (k || ' hours')::interval
                       + ((30 + (v + k) %% 151) || ' minutes')::interval,
                   'qr', 30 + (v + k) %% 151, 'confirmed', {organiser.pk}, now(), ''
            FROM generate_series(0, {VOLUNTEERS - 1}) AS v, generate_series(0, {per - 1}) AS k""", [])
        cursor.execute("""
            UPDATE volunteers_volunteer v SET confirmed_minutes = s.total
            FROM (SELECT volunteer_id, sum(minutes) AS total FROM volunteers_servicerecord WHERE status = 'confirmed' GROUP BY 1) s
            WHERE s.volunteer_id = v.id""")
        cursor.execute("""
            INSERT INTO volunteers_hoursmonthtotal (community_id, month, minutes)
            SELECT community_id, date_trunc('month', signed_in_at AT TIME ZONE 'Asia/Shanghai')::date, sum(minutes)
            FROM volunteers_servicerecord WHERE status = 'confirmed' GROUP BY 1, 2""")
        cursor.execute("ANALYZE")
    return district


def per_volunteer_loop(volunteers):
    """Each volunteer asked in turn for the sum of their confirmed records (the baseline)."""
    from django.db.models import Sum

    from volunteers.models import RecordStatus, ServiceRecord

    return {v.pk: ServiceRecord.objects.filter(volunteer_id=v.pk, status=RecordStatus.CONFIRMED).aggregate(m=Sum("minutes"))["m"] or 0
            for v in volunteers}


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection

        from volunteers.models import ServiceRecord, Volunteer
        from volunteers.selectors import district_totals

        say(f"database: {connection.vendor}")
        if connection.vendor != "postgresql":
            say("this benchmark writes its data with PostgreSQL's generate_series; no PostgreSQL here")
            return 1
        began = time.perf_counter()
        district = build()
        say(f"built {Volunteer.objects.count():,} volunteers and {ServiceRecord.objects.count():,} records in "
            f"{time.perf_counter() - began:.0f} s")

        def totals():
            return district_totals(within=district)

        figures = totals()
        sample = list(Volunteer.objects.order_by("?")[:SAMPLE])
        looped = per_volunteer_loop(sample)
        kept = dict(Volunteer.objects.filter(pk__in=[v.pk for v in sample]).values_list("pk", "confirmed_minutes"))
        assert looped == kept, "kept time banks disagree with the records"
        assert figures["total"] == sum(Volunteer.objects.values_list("confirmed_minutes", flat=True)), "district total"
        top = figures["balances"][0]
        assert per_volunteer_loop([Volunteer(pk=top[0])])[top[0]] == top[2]
        say(f"figures agree with the records for {SAMPLE} volunteers; district total {figures['total'] / 60:,.0f} hours in "
            f"{len(figures['by_street'])} streets, {len(figures['by_community'])} communities")
        ours = best_of(totals, repeat=5)
        loop = best_of(lambda: per_volunteer_loop(sample), repeat=3) * VOLUNTEERS / SAMPLE
        say(f"district totals: {ours * 1000:.0f} ms from kept totals; per-volunteer sums ≈ {loop:.1f} s "
            f"({VOLUNTEERS // SAMPLE}× the {SAMPLE}-volunteer sample)")
        ratio = loop / ours
        ok = report("volunteer-hours", ours * 1000, f"ms ({VOLUNTEERS:,} volunteers, {RECORDS:,} records)", ratio,
                    "per-volunteer sums", "< 1 s and ≥ 20x", ours < 1 and ratio >= 20)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
