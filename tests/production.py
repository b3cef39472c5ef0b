"""Linli as it runs in production, on loopback, for the fault tests (tests/test_faults_production.py)
and the load benchmark (bench/bench_load.py).

* ``Cluster``: a throwaway PostgreSQL cluster of its own (``initdb`` into a temporary folder, its
  own port), which a test may restart or stop without touching anyone else's server;
* ``migrated_database``: a database migrated once per set of migrations (the schema is kept as a
  ``pg_dump`` under ``var/test-cache/`` and restored in seconds the next time);
* ``Linli``: ``linli serve-prod`` (gunicorn's master and workers, the task worker and the clock,
  watched) with the environment a deployment gives it, and the ids of its processes;
* ``build_fault_world`` / ``check_invariants``: the small world the fault tests load, and the
  checks that nothing was half-written, each run in a process of its own against the cluster.

Every process is started here and stopped here, by its id.
"""

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.servers import children, log_tail, stop_gracefully

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def postgres_bin() -> Path | None:
    """The folder of the newest PostgreSQL server's programs (initdb, pg_ctl), or None."""
    folders = [Path(f) for f in glob.glob("/usr/lib/postgresql/*/bin") if Path(f, "initdb").exists() and Path(f, "pg_ctl").exists()]
    if folders:
        return max(folders, key=lambda f: int(f.parent.name) if f.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL's server programs refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder, on ``port`` of 127.0.0.1."""

    def __init__(self, *, port: int, bin_dir: Path | None = None):
        self.port = port
        self.bin = bin_dir or postgres_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server programs (initdb, pg_ctl) on this machine")
        self.folder = Path(tempfile.mkdtemp(prefix=f"linli-pg{port}-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.folder, user="postgres")
        self.folder.chmod(0o755)

    @property
    def major(self) -> str:
        return self.bin.parent.name

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]),
                       check=True, capture_output=True, timeout=timeout)

    def start(self) -> "Cluster":
        if not self.data.exists():
            subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                                         "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                           check=True, capture_output=True, timeout=120)
        # Durability is not what these tests are about: no fsync, so a throwaway cluster is quick.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off -c max_connections=60")
        self._ctl("-w", "-t", "60", "-o", options, "start")
        return self

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server comes back on the same port."""
        self._ctl("-w", "-t", "60", "-m", "fast", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._ctl("-w", "-t", "30", "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as connection:
            connection.execute(sql)


def _migrations_key(major: str) -> str:
    """What the migrated schema depends on: every migration file, the pinned packages, the server's version."""
    digest = hashlib.sha256(major.encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")) + [ROOT / "pyproject.toml"]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migrated_database(cluster: Cluster, name: str, *, say=print) -> str:
    """Create database ``name`` on the cluster with every migration applied; returns its URL.

    Migrating from nothing takes most of a minute; the migrated schema (and the rows the
    migrations write) is kept as a dump keyed by the migrations and restored in a few seconds."""
    cluster.execute(f'CREATE DATABASE "{name}"')
    url = cluster.url(name)
    cache = ROOT / "var" / "test-cache"
    dump = cache / f"schema-pg{cluster.major}-{_migrations_key(cluster.major)}.pgdump"
    if dump.exists():
        restored = subprocess.run([str(cluster.bin / "pg_restore"), "--no-owner", "--exit-on-error", "-d", url, str(dump)],
                                  capture_output=True, text=True, timeout=180)
        if restored.returncode == 0:
            say(f"schema restored from {dump.relative_to(ROOT)}")
            return url
        say(f"the kept schema did not restore ({restored.stderr.strip()[:200]}): migrating")
        cluster.execute(f'DROP DATABASE "{name}"')
        cluster.execute(f'CREATE DATABASE "{name}"')
    began = time.monotonic()
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True, timeout=600,
                   env={**os.environ, "DATABASE_URL": url, "LINLI_MODE": "development", "DEBUG": "0"})
    say(f"migrated in {time.monotonic() - began:.0f} s")
    cache.mkdir(parents=True, exist_ok=True)
    partial = dump.with_suffix(f".{os.getpid()}.part")
    subprocess.run([str(cluster.bin / "pg_dump"), "--format=custom", "--no-owner", "-f", str(partial), url], check=True, timeout=180)
    partial.replace(dump)
    for old in cache.glob(f"schema-pg{cluster.major}-*.pgdump"):
        if old != dump:
            old.unlink(missing_ok=True)
    return url


def redis_url(database: int = 9) -> str | None:
    """REDIS_URL if set, else the local Redis when one answers (on the given database), else None."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    return f"redis://127.0.0.1:6379/{database}"


def _collected_static() -> Path:
    from tests.servers import collected_static

    return collected_static()


def production_env(*, database_url: str, redis: str | None, media_root: Path, cache_prefix: str) -> dict[str, str]:
    """The environment a deployment gives Linli: production mode, served over plain HTTP on loopback."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LINLI_MODE": "production",
        "SECRET_KEY": "loopback-production-try-" + hashlib.sha256(cache_prefix.encode()).hexdigest(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TLS_PROXY": "0",  # plain HTTP on loopback, as `make serve-prod` serves it
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        # The static files collected once per change of their sources, shared with the other tests
        # of production mode (tests.servers), unless STATIC_ROOT names a collection.
        "STATIC_ROOT": os.environ.get("STATIC_ROOT") or str(_collected_static()),
        "CACHE_KEY_PREFIX": cache_prefix,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
    return env


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Linli:
    """``linli serve-prod`` on 127.0.0.1:``port`` without the demo city: gunicorn (its master and
    workers), the task worker and the clock, watched by the command (which starts again a process
    that dies). Its output goes to ``log_dir/serve-prod.log``."""

    def __init__(self, *, env: dict[str, str], port: int, workers: int = 0, log_dir: Path, demo: bool = False):
        self.env, self.port, self.workers, self.demo = env, port, workers, demo
        self.log = log_dir / "serve-prod.log"
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 300) -> "Linli":
        command = [PYTHON, "manage.py", "serve_prod", f"127.0.0.1:{self.port}"]
        if self.workers:  # else sized to the cores (config/gunicorn.py)
            command += ["--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command + ([] if self.demo else ["--no-demo"]), cwd=ROOT, env=self.env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready(timeout=timeout)
        return self

    def wait_ready(self, *, timeout: float) -> None:
        """Until /readyz answers 200 with every gunicorn worker up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve-prod ended with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=10) as answer:
                    if answer.status == 200 and len(self.web_workers()) >= self.workers:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Linli was not ready on {self.base} within {timeout:.0f} s:\n{self.log_tail()}")

    def _child(self, word: str) -> int | None:
        found = [pid for pid in children(self.process.pid) if word in cmdline(pid)]
        return found[0] if found else None

    def web_master(self) -> int | None:
        return self._child("gunicorn")

    def web_workers(self) -> list[int]:
        master = self.web_master()
        return children(master) if master else []

    def task_worker(self) -> int | None:
        return self._child("db_worker")

    def kill_web_worker(self) -> int:
        """kill -9 one of gunicorn's workers; returns its id."""
        victim = self.web_workers()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def task_worker_id(self) -> str:
        """The id serve-prod gave the task worker that runs now (its ``--worker-id``)."""
        found = re.search(r"--worker-id (\S+)", cmdline(self.task_worker() or 0))
        return found.group(1) if found else ""

    def kill_task_worker(self) -> int:
        """kill -9 the task worker; returns its id."""
        victim = self.task_worker()
        os.kill(victim, signal.SIGKILL)
        return victim

    def log_tail(self, chars: int = 3000) -> str:
        return log_tail(self.log, chars)

    def stop(self) -> None:
        stop_gracefully(self.process, timeout=60)


def run_in_django(function: str, *, database_url: str, argument: dict | None = None, timeout: float = 300) -> dict:
    """Call ``tests.production.<function>(argument)`` in a process of its own set up on
    ``database_url`` (development settings), and return what it printed as JSON on its last line."""
    code = ("import json, sys, django; django.setup(); from tests import production; "
            f"print(json.dumps(production.{function}(json.loads(sys.argv[1]))))")
    done = subprocess.run([PYTHON, "-c", code, json.dumps(argument or {})], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings",
                               "LINLI_MODE": "development", "DEBUG": "0"})
    if done.returncode != 0:
        raise RuntimeError(f"{function} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# What the fault tests load: the small world of the tests, a room to book, an activity of a few
# places with a waitlist, a community fund with the district's seed money, and API tokens.

FAULT_RESIDENTS = 6
FAULT_PLACES = 3


def build_fault_world(_argument: dict) -> dict:
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.utils import timezone

    from accounts.models import Role
    from accounts.services import token_issue
    from funds import services as funds
    from neighbourhood.services import activity_publish
    from registry import services as registry
    from registry.hours import parse_hours
    from scheduling.services import policy_update
    from tests.world import build_world, make_user

    # Nobody signs in with a password here (API tokens only): a quick hasher instead of Argon2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    community, district = world.node("甲市一区一街一社"), world.node("甲市一区")
    worker = world.users["community_worker"]
    residents = [make_user(f"jumin_{n}", role=Role.RESIDENT, division=community) for n in range(FAULT_RESIDENTS)]
    station = registry.site_create(actor="faults", division=community, name="一社服务站", kind="service_station",
                                   floor_area=Decimal("600"), property_class="state_admin", property_source="street_owned",
                                   opening_hours=parse_hours("每天 00:00-24:00"))
    rooms = [registry.room_create(actor="faults", site=station, name=f"活动室{n}", area=Decimal("60"), capacity=30, equipment=[])
             for n in range(1, 3)]
    for room in rooms:
        policy_update(actor="faults", room=room, data={"horizon_days": 365})
    start = (timezone.localtime() + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    activity = activity_publish(actor=worker, community=community, title="反诈骗讲座", category="food_recreation",
                                capacity=FAULT_PLACES, starts_at=start, ends_at=start + timedelta(hours=2), place="社区广场")
    charity = world.organisations["甲市一区慈善会"]
    fund = funds.fund_create(actor="faults", division=community, host=charity, led_by="一社社区党委", founded_on=date(2025, 1, 1))
    district_fund = funds.fund_create(actor="faults", division=district, host=charity, led_by="一区社会工作部",
                                      name="一区社会治理基金", founded_on=date(2025, 1, 1))
    funds.income_record(actor="faults", fund=district_fund, kind="appropriation", amount=Decimal("100000.00"), donor_name="一区财政局",
                        received_on=timezone.localdate(), donor_kind="government")

    def token(user) -> str:
        return token_issue(actor=user, name="faults")[1]

    return {"worker": token(worker), "residents": [token(r) for r in residents], "rooms": [r.pk for r in rooms],
            "activity": activity.pk, "fund": fund.division.code, "community": community.code,
            "first_day": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "built_at": datetime.now().isoformat()}


def check_invariants(_argument: dict) -> dict:
    """What must hold after any fault: a list of what does not (empty when all is well), and counts."""
    from django.db import connection
    from django.db.models import Count, F, Q, Sum, Value
    from django.db.models.functions import Coalesce
    from django_tasks_db.models import DBTaskResult

    from audit.models import AuditEvent
    from funds.models import Income
    from ledger.models import Account, Leg, MonthTotal, Transaction
    from neighbourhood.models import Activity, Registration
    from scheduling.models import HOLDING, Booking

    problems = []
    zero = Value(0, output_field=Leg._meta.get_field("amount"))
    unbalanced = Transaction.objects.annotate(total=Coalesce(Sum("legs__amount"), zero), legs_count=Count("legs")).filter(
        Q(legs_count__lt=2) | ~Q(total=0))
    problems += [f"ledger transaction {t.pk} ({t.kind}): {t.legs_count} legs summing to {t.total}" for t in unbalanced]
    accounts = Account.objects.annotate(legs_total=Coalesce(Sum("legs__amount"), zero)).exclude(balance=F("legs_total"))
    problems += [f"account {a.code}: balance {a.balance}, legs sum to {a.legs_total}" for a in accounts]
    for account in Account.objects.all():
        months = MonthTotal.objects.filter(account=account).aggregate(total=Coalesce(Sum("amount"), zero))["total"]
        if months != account.balance:
            problems.append(f"account {account.code}: balance {account.balance}, monthly totals sum to {months}")
    problems += [f"income {i.pk} has no ledger transaction" for i in Income.objects.filter(transaction__isnull=True)]
    for activity in Activity.objects.all():
        sums = {status: activity.registrations.filter(status=status).aggregate(n=Coalesce(Sum("places"), 0))["n"]
                for status in ("registered", "waitlisted")}
        if (activity.registered_places, activity.waitlisted_places) != (sums["registered"], sums["waitlisted"]):
            problems.append(f"activity {activity.pk}: counts {activity.registered_places} registered + {activity.waitlisted_places} "
                            f"waiting, rows {sums['registered']} + {sums['waitlisted']}")
        if activity.registered_places > activity.capacity:
            problems.append(f"activity {activity.pk}: {activity.registered_places} registered of {activity.capacity} places")
    doubled = Registration.objects.filter(status__in=["registered", "waitlisted"]).values("activity", "user").annotate(
        n=Count("id")).filter(n__gt=1)
    problems += [f"user {d['user']} holds {d['n']} live registrations of activity {d['activity']}" for d in doubled]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, b.id FROM scheduling_booking a JOIN scheduling_booking b ON a.room_id = b.room_id AND a.id < b.id "
            "AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until WHERE a.status = ANY(%s) AND b.status = ANY(%s)",
            [list(HOLDING), list(HOLDING)])
        problems += [f"bookings {a} and {b} hold the same room at once" for a, b in cursor.fetchall()]
    audited = set(AuditEvent.objects.filter(action="scheduling.booking.created").values_list("target_id", flat=True))
    problems += [f"booking {pk} has no audit entry" for pk in Booking.objects.values_list("pk", flat=True) if str(pk) not in audited]
    audited = set(AuditEvent.objects.filter(action__in=["neighbourhood.registration.registered", "neighbourhood.registration.waitlisted"])
                  .values_list("target_id", flat=True))
    problems += [f"registration {pk} has no audit entry" for pk in Registration.objects.values_list("pk", flat=True)
                 if str(pk) not in audited]
    # The exports the tests queued (the clock's heartbeat comes and goes every minute beside them).
    tasks = dict(DBTaskResult.objects.filter(task_path="excel.tasks.excel_job_run").values_list("status").annotate(n=Count("id"))
                 .values_list("status", "n"))
    return {"problems": problems, "tasks": tasks, "bookings": Booking.objects.count(), "registrations": Registration.objects.count(),
            "transactions": Transaction.objects.count(), "legs": Leg.objects.count(), "incomes": Income.objects.count()}


def task_claimed_by(argument: dict) -> dict:
    """What a task worker killed in the middle of an export leaves: the job's task claimed by the
    worker ``worker_id`` and running, the job itself running."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from excel.models import ExcelJob

    result = next(r for r in DBTaskResult.objects.filter(task_path="excel.tasks.excel_job_run")
                  if r.args_kwargs["args"][:1] == [argument["job"]])
    result.claim(argument["worker_id"])
    ExcelJob.objects.filter(pk=argument["job"]).update(status=ExcelJob.Status.RUNNING, started_at=timezone.now())
    return {"task": str(result.pk)}


def task_statuses(argument: dict) -> dict:
    """The state of each task result named (by id), as django-tasks-db keeps it."""
    from django_tasks_db.models import DBTaskResult

    return {str(pk): status for pk, status in DBTaskResult.objects.filter(pk__in=argument["ids"]).values_list("pk", "status")}
