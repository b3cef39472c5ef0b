"""Backups (`linli backup`, `linli restore`, ``core.backups``): a city with money, bookings, a register,
photos and its audit trail is backed up, restored into a fresh database (a new PostgreSQL database
or a new SQLite file, and a new media folder) and reads the same there: fund balances, booking
counts, register totals, the audit trail, and the uploaded files byte for byte. A missing, damaged,
foreign or too new archive, or a database that holds data, is refused with nothing changed.

Runs on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…``). The restored database is read in
a child process configured with its own DATABASE_URL and MEDIA_ROOT, as an operator would run it.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from core import backups
from core.backups import BackupRefused
from tests.images import png_bytes
from tests.world import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump and SQLite's backup read committed data only

ACTOR = "backup-test"
CITY = "350100000000"  # 甲市 of the test world
SUPERVISOR = "city_supervisor_a"


def _photo(name="a.png"):
    return SimpleUploadedFile(name, png_bytes(40, 30), content_type="image/png")


def _at(days: int, hour: int):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def build_city(world) -> None:
    """Money in and out of a fund through the ledger, a register with photos, bookings, and the trail they leave."""
    from funds import services as funds
    from registry import services as registry
    from registry.hours import parse_hours
    from scheduling import services as scheduling

    community, charity = world.node("甲市一区一街一社"), world.organisations["甲市一区慈善会"]
    fund = funds.fund_create(actor=ACTOR, division=community, host=charity, led_by="一社社区党委", founded_on=date(2025, 1, 1))
    members = [world.users["fund_committee"], make_user("weiyuan_b", role=Role.FUND_COMMITTEE, division=community),
               make_user("weiyuan_c", role=Role.FUND_COMMITTEE, division=community)]
    for n, (user, side) in enumerate(zip(members, ["party", "residents", "donors"], strict=True)):
        funds.member_add(actor=ACTOR, fund=fund, user=user, side=side, is_chair=n == 0)
    for amount, receipt in (("5000.00", "票据-0001"), ("1234.56", "票据-0002")):
        funds.income_record(actor=ACTOR, fund=fund, kind="public_donation", amount=Decimal(amount), donor_name="张三",
                            received_on=timezone.localdate(), receipt_no=receipt)
    worker = world.users["community_worker"]
    project = funds.project_propose(actor=worker, fund=fund, title="车棚修缮", kind="micro_renovation", budget="3000.00",
                                    beneficiaries="3号楼居民", beneficiary_count=60, plan="修缮车棚。")
    for member in members:
        funds.project_vote(actor=member, project=project, choice="yes", comment="同意")
    funds.project_apply(actor=worker, project=project)
    funds.project_decide(actor=world.users["charity_staff"], project=project, approve=True, note="同意拨付")
    funds.project_disburse(actor=world.users["charity_staff"], project=project, amount="1800.00", payee="某建筑公司",
                           document="付-001")

    sites = []
    for number, name in enumerate(("党群服务中心", "邻里中心")):
        site = registry.site_create(actor=ACTOR, division=world.node(f"甲市一区一街{'一二'[number]}社"), name=name,
                                    kind="party_mass_centre", floor_area=Decimal("900.50"), property_class="state_admin",
                                    property_source="street_owned", opening_hours=parse_hours("每天 08:00-21:00"))
        sites.append(site)
        for room_name, area in (("多功能室", "60"), ("会议室", "35.5")):
            registry.room_create(actor=ACTOR, site=site, name=room_name, area=Decimal(area), capacity=20)
    registry.photo_add(actor=worker, site=sites[0], upload=_photo(), caption="正门")
    sign = registry.sign_record(actor=ACTOR, site=sites[0], text="某某协会服务站", department_name="市某办")
    registry.sign_remove(actor=worker, sign=sign, photo=_photo("removed.png"), note="已摘除")

    room = sites[0].rooms.get(name="多功能室")
    resident = world.users["resident"]
    booked = [scheduling.booking_create(actor=resident, room=room, start=_at(1, hour), end=_at(1, hour + 1), title="议事会")
              for hour in (9, 11, 14)]
    scheduling.booking_cancel(actor=resident, booking=booked[1], reason="改期")


def fingerprint() -> dict:
    """What must survive a restore, read through the modules' selectors on whichever database is configured."""
    from django.db.models import Count, Sum

    from accounts.models import User
    from audit.models import AuditEvent
    from funds.models import Fund
    from funds.selectors import fund_figures
    from ledger.models import Account, Leg, Transaction
    from ledger.selectors import accounts_unreconciled
    from org.models import Division
    from registry.models import Photo, Room, Sign
    from registry.selectors import register_summary
    from scheduling.models import Booking

    funds = {Fund.objects.get(pk=pk).division.code: {"balance": str(f.balance), "income": str(f.income), "spent": str(f.spent)}
             for pk, f in fund_figures(Fund.objects.all()).items()}
    summary = register_summary(user=User.objects.get(username=SUPERVISOR), within=Division.objects.get(code=CITY))
    files = [photo.image.name for photo in Photo.objects.order_by("pk")]
    files += [name for sign in Sign.objects.order_by("pk") for name in (sign.photo.name, sign.removal_photo.name) if name]
    return {
        "funds": funds,
        "ledger": {"accounts": [[a, str(b)] for a, b in Account.objects.order_by("pk").values_list("pk", "balance")],
                   "transactions": Transaction.objects.count(), "legs": Leg.objects.count(),
                   "unreconciled": accounts_unreconciled(Account.objects.all()).count()},
        "bookings": {"total": Booking.objects.count(),
                     **dict(Booking.objects.order_by().values_list("status").annotate(n=Count("id")))},
        "register": {"sites": summary.sites, "rooms": summary.rooms, "floor_area": str(summary.floor_area),
                     "room_area": str(Room.objects.aggregate(area=Sum("area"))["area"])},
        "audit": [[e.pk, e.at.isoformat(), e.actor_name, e.action, e.target_type.model if e.target_type else None, e.target_id,
                   e.target_repr, e.division_id, e.changes, e.note] for e in AuditEvent.objects.order_by("pk")],
        "files": {name: hashlib.sha256(default_storage.open(name).read()).hexdigest() for name in files},
    }


def restored_report(archive: str) -> dict:
    """Run in the restored database: what it holds; then a second restore without --replace (refused,
    nothing changed) and one with it."""
    first = fingerprint()
    try:
        call_command("restore", archive, "--quiet")
        refused = ""
    except CommandError as error:
        refused = str(error)
    after_refusal = fingerprint()
    call_command("restore", archive, "--replace", "--quiet")
    return {"first": first, "refused": refused, "after_refusal": after_refusal, "replaced": fingerprint()}


@pytest.fixture
def fresh_database(tmp_path):
    """The DATABASE_URL of a database nothing was ever put in: a new PostgreSQL database beside the
    test database (dropped afterwards), or a new SQLite file."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    info = connection.settings_dict
    name = f"{info['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = quote(info["USER"] or "") + (f":{quote(str(info['PASSWORD']))}" if info.get("PASSWORD") else "")
    yield f"postgres://{auth}@{info['HOST'] or 'localhost'}:{info['PORT'] or 5432}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _child(database_url: str, media: Path, args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media), "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run([sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {member.name: tar.extractfile(member).read() for member in tar}


def _rewritten(archive: Path, target: Path, *, manifest_change=None, rename=None, damage=None) -> Path:
    """A copy of ``archive`` with its manifest changed, a member renamed, or a member's bytes damaged."""
    members = _members(archive)
    manifest = json.loads(members.pop(backups.MANIFEST))
    if manifest_change:
        manifest_change(manifest)
    if rename:
        members = {rename.get(name, name): data for name, data in members.items()}
    if damage:
        data = bytearray(members[damage])
        data[len(data) // 2] ^= 0xFF
        members[damage] = bytes(data)
    members[backups.MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


@pytest.fixture
def city(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_city(world)
    return world


def test_a_restored_backup_holds_the_same_money_bookings_register_trail_and_files(city, tmp_path, fresh_database, capsys):
    before = fingerprint()
    assert before["funds"][city.node("甲市一区一街一社").code]["balance"] == "4434.56"  # 5000 + 1234.56 − 1800
    assert before["bookings"] == {"total": 3, "confirmed": 2, "cancelled": 1}
    assert before["register"]["rooms"] == 4 and before["ledger"]["unreconciled"] == 0 and len(before["files"]) == 2

    call_command("backup", "--output", str(tmp_path / "backups"))
    printed = capsys.readouterr().out
    archive = Path(printed.strip().splitlines()[-1])
    assert archive.parent == tmp_path / "backups" and backups.ARCHIVE_PATTERN.fullmatch(archive.name)
    assert printed.startswith("[") and str(archive) in printed.splitlines()[-2]  # progress, the last line naming the archive
    assert archive.stat().st_mode & 0o777 == 0o600  # residents' data: readable by its owner only
    members = _members(archive)
    manifest = json.loads(members[backups.MANIFEST])
    assert manifest["database"]["vendor"] == connection.vendor and manifest["database"]["file"] in members
    assert manifest["migrations"]["funds"] == backups.migration_state()["funds"] and manifest["linli_version"]
    assert manifest["counts"]["scheduling.booking"] == 3 and manifest["counts"]["audit.auditevent"] == len(before["audit"])
    assert {f"media/{name}" for name in before["files"]} <= set(members)

    restored_media = tmp_path / "restored-media"
    restore = _child(fresh_database, restored_media, ["manage.py", "restore", str(archive)])
    assert restore.returncode == 0, restore.stderr
    assert manifest["created_at"] in restore.stdout  # it says which backup it restored

    script = f"import django, json; django.setup(); from tests.test_backup import restored_report; print(json.dumps(restored_report({str(archive)!r})))"
    child = _child(fresh_database, restored_media, ["-c", script])
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout.strip().splitlines()[-1])
    after = report["first"]
    for part in ("funds", "ledger", "bookings", "register", "files"):
        assert after[part] == before[part], part
    # The trail is the same, and says at its end that the database was restored.
    assert after["audit"][:-1] == before["audit"]
    assert after["audit"][-1][3] == "core.database.restored" and archive.name in after["audit"][-1][9]
    for name in before["files"]:
        assert (restored_media / name).read_bytes() == (tmp_path / "media" / name).read_bytes()

    # A second restore into the now full database is refused and changes nothing; with --replace it goes ahead.
    assert "--replace" in report["refused"] and report["after_refusal"] == after
    replaced = report["replaced"]
    assert {part: replaced[part] for part in before if part != "audit"} == {part: before[part] for part in before if part != "audit"}
    assert replaced["audit"][:-1] == before["audit"] and replaced["audit"][-1][3] == "core.database.restored"


@pytest.fixture
def archive(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from registry import services as registry

    site = registry.site_create(actor=ACTOR, division=world.node("甲市一区一街一社"), name="党群服务中心", kind="party_mass_centre",
                                floor_area=Decimal("900"), property_class="state_admin", property_source="street_owned")
    registry.photo_add(actor=world.users["community_worker"], site=site, upload=_photo(), caption="正门")
    return backups.backup_create(destination=tmp_path / "backups")


def _state():
    return backups.key_counts(), sorted(backups._storage_files())


@pytest.mark.parametrize("spoil, code", [
    ("missing", "backup_missing"),
    ("truncated", "backup_damaged"),
    ("not a backup", "backup_damaged"),
    ("a file damaged", "backup_damaged"),
    ("a file missing", "backup_damaged"),
    ("another vendor", "backup_other_vendor"),
    ("newer migrations", "backup_newer"),
    ("newer format", "backup_newer"),
])
def test_a_missing_damaged_foreign_or_newer_archive_is_refused_and_nothing_changes(archive, tmp_path, spoil, code):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    spoilt = tmp_path / "spoilt.tar.gz"
    database_file = backups.DATABASE_FILES[connection.vendor]
    if spoil == "missing":
        spoilt = tmp_path / "no-such-backup.tar.gz"
    elif spoil == "truncated":
        spoilt.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif spoil == "not a backup":
        spoilt.write_bytes(b"PK\x03\x04 a spreadsheet, say")
    elif spoil == "a file damaged":
        _rewritten(archive, spoilt, damage=database_file)
    elif spoil == "a file missing":
        _rewritten(archive, spoilt, rename={database_file: "elsewhere.bin"})
    elif spoil == "another vendor":
        def other_vendor(manifest):
            manifest["database"].update(vendor=other, file=backups.DATABASE_FILES[other])
        _rewritten(archive, spoilt, manifest_change=other_vendor, rename={database_file: backups.DATABASE_FILES[other]})
    elif spoil == "newer migrations":
        _rewritten(archive, spoilt, manifest_change=lambda m: m["migrations"].update(funds="9999_from_the_future"))
    else:
        _rewritten(archive, spoilt, manifest_change=lambda m: m.update(format=backups.FORMAT + 1))
    before = _state()
    with pytest.raises(BackupRefused) as refused:
        backups.backup_restore(archive=spoilt, replace=True)
    assert refused.value.code == code
    assert _state() == before
    with pytest.raises(CommandError):
        call_command("restore", str(spoilt), "--replace", "--quiet")
    assert _state() == before


def test_a_database_that_holds_data_is_not_replaced_without_being_told(archive, world):
    before = _state()
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), "--quiet")
    assert "--replace" in str(refused.value)
    assert _state() == before


def test_a_freshly_migrated_database_counts_as_empty_and_another_programs_tables_do_not():
    assert backups.database_holds_data() == ""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE someone_elses_orders (id integer)")
    try:
        assert "someone_elses_orders" in backups.database_holds_data()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE someone_elses_orders")


def test_older_archives_beyond_the_number_kept_are_deleted(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    names = [f"linli-backup-202605{day:02d}-030000.tar.gz" for day in range(1, 6)]
    for name in [*names, "notes.txt"]:
        (folder / name).write_bytes(b"x")
    deleted = backups.backups_prune(folder=folder, keep=2)
    assert [p.name for p in deleted] == names[:3]
    assert sorted(p.name for p in folder.iterdir()) == [*names[3:], "notes.txt"]
