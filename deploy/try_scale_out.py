"""Scale-out, tried on this machine: a PostgreSQL primary with a streaming read replica, two Linli app
servers on both, a booking made through one and read through the other (docs/deployment.md, "Scale-out").

    make try-scale-out
    .venv/bin/python deploy/try_scale_out.py [--primary-port 5433] [--replica-port 5434]
                                             [--app-ports 8201,8202] [--free-ports] [--quick-schema] [--keep]

What it does, printing each step with the time it took:

1. a PostgreSQL primary (``initdb`` in a temporary folder, on 127.0.0.1 only), and a hot standby
   made from it with ``pg_basebackup -R`` (which writes ``standby.signal`` and ``primary_conninfo``),
   started on a second port and streaming;
2. the database ``linli`` created and migrated on the primary only; the replica receives the
   tables by streaming;
3. a small area (a city down to a community, a centre with a room, a community worker who books
   and a district supervisor who reads, each with an API token);
4. two app servers (gunicorn with ``config/gunicorn.py``, production mode over plain HTTP on
   loopback) with ``DATABASE_URL`` = the primary and ``DATABASE_REPLICA_URL`` = the replica, each
   naming itself to PostgreSQL (``application_name``), sharing ``REDIS_URL`` if it is set (else a
   cache folder both read) for the pins;
5. a booking made through app server 1; the booker's own read through app server 2 comes from
   the primary (pinned after its write); the supervisor's read through app server 2, once the
   replica has replayed the write, comes from the replica. The replica logs every statement
   with the app server's name, so the script shows which server read what where;
6. the replication lag: how long the replica took to replay the booking, and what the primary's
   ``pg_stat_replication`` says;
7. the replica stopped: the supervisor's read through app server 2 still answers, from the primary;
8. everything stopped and removed (``--keep`` leaves the folder, for a look at the logs).

As root (a container) the PostgreSQL programs run as the user ``postgres``. The exit status is 0
only if every step worked.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STARTED = time.monotonic()


def say(step: str, text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {step:<9} {text}", flush=True)


class Failed(Exception):
    pass


# -- PostgreSQL ---------------------------------------------------------------------------------

def pg_bindir() -> Path | None:
    """Where the PostgreSQL server programs are: PG_BINDIR, the newest /usr/lib/postgresql/*/bin, or PATH."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(re.sub(r"\D", "", p) or 0), reverse=True)
    found = shutil.which("initdb")
    candidates += [str(Path(found).parent)] if found else []
    for folder in filter(None, candidates):
        if all((Path(folder) / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
            return Path(folder)
    return None


class Postgres:
    """The two clusters, run as ``postgres`` when this script runs as root."""

    def __init__(self, bindir: Path, folder: Path):
        self.bindir, self.folder = bindir, folder
        self.as_root = os.geteuid() == 0
        self.started: list[Path] = []
        if self.as_root:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/")
        if check and done.returncode != 0:
            raise Failed(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self, data: Path) -> None:
        self.run("pg_ctl", "-D", str(data), "-l", str(data.parent / f"{data.name}.log"), "-w", "-t", "60", "start")
        self.started.append(data)

    def stop(self, data: Path) -> None:
        self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        self.started.remove(data)

    def stop_all(self) -> None:
        for data in reversed(self.started):
            self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop", check=False)  # thrown away after
        self.started.clear()


def configure(data: Path, port: int, **extra: str) -> None:
    settings = {"listen_addresses": "'127.0.0.1'", "port": str(port), "unix_socket_directories": "''",
                "max_connections": "40", "shared_buffers": "'32MB'", "wal_level": "replica", "max_wal_senders": "4",
                "hot_standby": "on", "log_line_prefix": "'%m [%p] %a: '",
                # Throwaway clusters: nothing waits for the disk (replication is the same without it).
                "fsync": "off", "full_page_writes": "off", **extra}
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# try_scale_out.py\n" + "".join(f"{key} = {value}\n" for key, value in settings.items()))


def sql(port: int, query: str, database: str = "linli", params: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=database, autocommit=True,
                         connect_timeout=5) as connection:
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def wait_for(what: str, check, seconds: float = 60.0, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = check()
            if value:
                return value
        except Exception as error:  # not up yet
            last = error
        else:
            last = None
        if time.monotonic() > deadline:
            raise Failed(f"gave up waiting for {what}" + (f" ({last})" if last else ""))
        time.sleep(every)


# -- The app servers ----------------------------------------------------------------------------

def http(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


PREPARE = r"""
import json
import secrets
import sys
from decimal import Decimal

import django
from django.conf import settings

if sys.argv[1] == "tables":  # every table made from the models at once, as pytest-django's --nomigrations does
    class NoMigrations(dict):
        def __contains__(self, app):
            return True

        def __getitem__(self, app):
            return None

    settings.MIGRATION_MODULES = NoMigrations()
django.setup()
from django.core.management import call_command

call_command("migrate", interactive=False, run_syncdb=True, verbosity=0)

from accounts import services as accounts
from accounts.models import Role
from org import services as org
from registry import services as registry
from registry.hours import parse_hours

actor = "try-scale-out"
city = org.division_create(actor=actor, parent=None, code="350100000000", name="泉溪市")
district = org.division_create(actor=actor, parent=city, code="350101000000", name="鹭湖区")
street = org.division_create(actor=actor, parent=district, code="350101001000", name="中山街道")
community = org.division_create(actor=actor, parent=street, code="350101001001", name="梅阳社区", population=6000, households=2100)
site = registry.site_create(actor=actor, division=community, name="梅阳社区党群服务中心", kind="party_mass_centre",
                            floor_area=Decimal("900"), property_class="state_admin", property_source="street_owned",
                            opening_hours=parse_hours("每天 08:00-21:00"))
room = registry.room_create(actor=actor, site=site, name="多功能室", area=Decimal("60"), capacity=30)
people = {}
for username, role, division in (("shequ", Role.COMMUNITY_WORKER, community), ("minzheng_qu", Role.SUPERVISOR, district)):
    user = accounts.user_create(actor=actor, username=username, password=secrets.token_urlsafe(16), display_name=username,
                                check_password=False)
    accounts.role_assign(actor=actor, user=user, role=role, division=division)
    people[username] = accounts.token_issue(actor=user, name="try-scale-out")[1]
print(json.dumps({"room": room.pk, "tokens": people}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: a closed port waiting is free
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def replica_lines(log: Path, app: str) -> list[str]:
    """The statements app server ``app`` ran on the replica that read bookings."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return [line for line in text.splitlines()
            if f" {app}: " in line and "scheduling_booking" in line and ("statement: " in line or "execute " in line)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--primary-port", type=int, default=5433)
    parser.add_argument("--replica-port", type=int, default=5434)
    parser.add_argument("--app-ports", default="8201,8202")
    parser.add_argument("--free-ports", action="store_true", help="pick free ports instead (tests)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) at the end")
    parser.add_argument("--quick-schema", action="store_true",
                        help="make the tables from the models instead of running the migrations (the test; faster)")
    options = parser.parse_args(argv)
    if options.free_ports:
        options.primary_port, options.replica_port = free_port(), free_port()
        app_ports = [free_port(), free_port()]
    else:
        app_ports = [int(p) for p in options.app_ports.split(",")]
    ports = [options.primary_port, options.replica_port, *app_ports]
    if len(set(ports)) != 4 or len(app_ports) != 2:
        print("Four different ports are needed: --primary-port, --replica-port and two --app-ports.", file=sys.stderr)
        return 2
    busy = [p for p in ports if not port_free(p)]
    if busy:
        print(f"Ports in use: {', '.join(map(str, busy))}; choose others (--primary-port, --replica-port, --app-ports) "
              "or --free-ports.", file=sys.stderr)
        return 2
    bindir = pg_bindir()
    if bindir is None:
        print("The PostgreSQL server programs (initdb, pg_ctl, pg_basebackup, postgres) were not found: install "
              "postgresql (Debian: apt install postgresql-15) or set PG_BINDIR.", file=sys.stderr)
        return 2

    folder = Path(tempfile.mkdtemp(prefix="linli-scale-out-"))
    os.chmod(folder, 0o755)
    pg_folder = folder / "pg"
    pg_folder.mkdir()
    pg = Postgres(bindir, pg_folder)
    apps: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _interrupted)
    ok = False
    try:
        version = pg.run("postgres", "--version").stdout.strip()
        print(f"Linli scale-out on this machine: {version} from {bindir}; working folder {folder}", flush=True)
        ok = run(options, app_ports, folder, pg, apps)
    except Failed as error:
        print(f"FAILED: {error}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr, flush=True)
    finally:
        for app in apps:
            if app.poll() is None:
                os.killpg(app.pid, signal.SIGTERM)
        for app in apps:
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
                app.wait()
        say("cleanup", "app servers stopped")
        pg.stop_all()
        if not ok:
            for log in sorted(folder.glob("app*.log")) + sorted(pg_folder.glob("*.log")):
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
                print(f"--- last lines of {log.name}:\n" + "\n".join(tail), file=sys.stderr)
        if options.keep:
            say("cleanup", f"stopped everything; the folder {folder} is kept")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            say("cleanup", f"stopped both app servers and both PostgreSQL servers, removed {folder}")
    print("OK: a booking made through app server 1 was read through app server 2 from the replica." if ok else "NOT OK",
          flush=True)
    return 0 if ok else 1


def run(options, app_ports: list[int], folder: Path, pg: Postgres, apps: list) -> bool:
    primary, replica = pg.folder / "primary", pg.folder / "replica"
    p_port, r_port = options.primary_port, options.replica_port

    # 1. The primary, and a streaming replica made from it.
    pg.run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
    configure(primary, p_port, log_statement="'mod'")
    pg.start(primary)
    say("primary", f"initdb, started on 127.0.0.1:{p_port} (wal_level=replica, logs every write; fsync off: thrown away after)")
    sql(p_port, "CREATE DATABASE linli", database="postgres")
    pg.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres", "-D", str(replica), "-R",
           "-X", "stream", "-c", "fast", "--no-sync")
    configure(replica, r_port, log_statement="'all'")
    pg.start(replica)
    sender = wait_for("the replica to stream", lambda: sql(
        p_port, "SELECT client_addr, state, sync_state FROM pg_stat_replication WHERE state = 'streaming'", database="postgres"))
    in_recovery = sql(r_port, "SELECT pg_is_in_recovery()", database="postgres")[0][0]
    say("replica", f"pg_basebackup -R from the primary, started on 127.0.0.1:{r_port}: in recovery={in_recovery}, "
                   f"the primary's pg_stat_replication says {sender[0][1]} ({sender[0][2]})")

    # 2. Migrate the primary only (and seed it in the same process).
    primary_url = f"postgres://postgres@127.0.0.1:{p_port}/linli"
    replica_url = f"postgres://postgres@127.0.0.1:{r_port}/linli"
    env = {**os.environ, "DATABASE_URL": primary_url, "MEDIA_ROOT": str(folder / "media"),
           "CACHE_DIR": str(folder / "cache"), "CACHE_KEY_PREFIX": f"linli-try-{secrets.token_hex(4)}",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_REPLICA_URL", None)
    began = time.monotonic()
    schema = "tables" if options.quick_schema else "migrate"
    done = subprocess.run([PYTHON, "-c", PREPARE, schema], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"migrating and seeding failed: {done.stderr[-3000:]}")
    seed = json.loads(done.stdout.strip().splitlines()[-1])
    tables = lambda port: sql(port, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0]  # noqa: E731
    on_primary = tables(p_port)
    wait_for("the tables on the replica", lambda: tables(r_port) == on_primary)
    how = ("tables made from the models (--quick-schema: without the migrations' PostgreSQL constraints and triggers)"
           if options.quick_schema else "migrated")
    say("migrate", f"linli {how} on the primary in {time.monotonic() - began:.1f} s, with a small area: "
                   f"{on_primary} tables; the replica has {tables(r_port)} by streaming")
    say("seed", f"泉溪市 › 鹭湖区 › 中山街道 › 梅阳社区, a centre with room {seed['room']}; "
                "shequ (community worker, books) and minzheng_qu (district supervisor, reads), each with an API token")

    # 3. Two app servers, each on both databases.
    for number, port in enumerate(app_ports, start=1):
        name = f"linli-app-{number}"
        app_env = {**env, "LINLI_MODE": "production", "TLS_PROXY": "0", "SECRET_KEY": secrets.token_urlsafe(40),
                   "ALLOWED_HOSTS": "127.0.0.1,localhost", "STATIC_ROOT": str(folder / "static"),
                   "DATABASE_URL": f"{primary_url}?application_name={name}",
                   "DATABASE_REPLICA_URL": f"{replica_url}?application_name={name}",
                   "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2",
                   "PROMETHEUS_MULTIPROC_DIR": str(folder / f"prometheus-{port}")}
        if os.environ.get("REDIS_URL"):
            app_env["REDIS_URL"] = os.environ["REDIS_URL"]
        log = open(folder / f"app{number}.log", "wb")  # noqa: SIM115 (kept open for the process's life)
        apps.append(subprocess.Popen([PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"], cwd=BASE_DIR,
                                     env=app_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    urls = [f"http://127.0.0.1:{port}" for port in app_ports]
    for number, url in enumerate(urls, start=1):
        wait_for(f"app server {number}", lambda url=url: urllib.request.urlopen(f"{url}/healthz", timeout=2).status == 200,
                 seconds=60, every=0.3)
    cache = "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "a cache folder both read"
    say("apps", f"gunicorn on {urls[0]} and {urls[1]}, production mode, DATABASE_URL = the primary, "
                f"DATABASE_REPLICA_URL = the replica; pins shared through {cache}")

    # 4. Book through app server 1; watch the replica replay it.
    import psycopg

    booker, reader = seed["tokens"]["shequ"], seed["tokens"]["minzheng_qu"]
    zone = ZoneInfo("Asia/Shanghai")
    day = datetime.now(zone).date() + timedelta(days=1)
    starts = datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone)
    connect = {"host": "127.0.0.1", "user": "postgres", "dbname": "linli", "autocommit": True}
    with psycopg.connect(port=p_port, **connect) as on_primary, psycopg.connect(port=r_port, **connect) as on_replica:
        status, booking = http("POST", f"{urls[0]}/api/v1/scheduling/bookings", booker, {
            "room_id": seed["room"], "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "title": "书法班", "attendees": 12})
        written = time.monotonic()
        if status != 201:
            raise Failed(f"the booking was refused: {status} {booking}")
        lsn = on_primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        while not on_replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
            if time.monotonic() - written > 30:
                raise Failed("the replica did not replay the booking within 30 s")
            time.sleep(0.001)
        replayed_ms = (time.monotonic() - written) * 1000
        stats = on_primary.execute("SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), write_lag, flush_lag, "
                                   "replay_lag FROM pg_stat_replication").fetchone()
    say("book", f"app server 1: POST /api/v1/scheduling/bookings as shequ → 201, booking {booking['id']} "
                f"({booking.get('title')}, {starts:%Y-%m-%d %H:%M}); primary WAL at {lsn}")
    say("lag", f"the replica had replayed it {replayed_ms:.1f} ms after the 201 reached this script; "
               f"pg_stat_replication: {stats[0]}, {int(stats[1])} bytes behind, "
               f"write/flush/replay lag {fmt(stats[2])} / {fmt(stats[3])} / {fmt(stats[4])}")

    # The booker reads through app server 2 at once: pinned to the primary, which has its write.
    log = pg.folder / "replica.log"
    before = len(replica_lines(log, "linli-app-2"))
    status, listed = http("GET", f"{urls[1]}/api/v1/scheduling/bookings?page_size=50", booker)
    seen = any(item["id"] == booking["id"] for item in listed.get("items", []))
    from_replica = len(replica_lines(log, "linli-app-2")) - before
    say("read", f"app server 2: GET /api/v1/scheduling/bookings as shequ ({time.monotonic() - written:.2f} s after its write) "
                f"→ {status}, booking {'found' if seen else 'MISSING'}; statements on the replica: {from_replica} "
                f"(a client that wrote reads from the primary for {pin_seconds()} s)")
    if status != 200 or not seen or from_replica:
        raise Failed("the booker's own read did not come from the primary with the booking in it")

    # 5. The supervisor (who wrote nothing) reads through app server 2: from the replica.
    before = len(replica_lines(log, "linli-app-2"))
    status, listed = http("GET", f"{urls[1]}/api/v1/scheduling/bookings?page_size=50", reader)
    found = next((item for item in listed.get("items", []) if item["id"] == booking["id"]), None)
    lines = replica_lines(log, "linli-app-2")[before:]
    say("read", f"app server 2: GET /api/v1/scheduling/bookings as minzheng_qu → {status}, "
                f"booking {booking['id']} {'found: ' + found['title'] if found else 'MISSING'}; "
                f"{len(lines)} statements on the replica by linli-app-2:")
    for line in lines[:2]:
        print("            " + re.sub(r"\s+", " ", re.split(r"statement: |execute [^:]*: ", line, maxsplit=1)[-1])[:150], flush=True)
    writes = [line for line in (pg.folder / "primary.log").read_text(encoding="utf-8", errors="replace").splitlines()
              if "linli-app-1: " in line and re.search(r'INSERT INTO "?scheduling_booking"? ', line)]
    say("primary", f"the primary logged the booking's INSERT from linli-app-1 ({len(writes)} statement)")
    if status != 200 or found is None or not lines or not writes:
        raise Failed("the supervisor's read did not come from the replica with the booking in it")

    # 6. The replica goes down: the same read still answers, from the primary.
    pg.stop(replica)
    status, listed = http("GET", f"{urls[1]}/api/v1/scheduling/bookings?page_size=50", reader)
    again = any(item["id"] == booking["id"] for item in listed.get("items", []))
    said = [line.strip() for line in (folder / "app2.log").read_text(encoding="utf-8", errors="replace").splitlines()
            if "read replica" in line]
    say("failover", f"replica stopped (pg_ctl stop -m immediate); app server 2: the same GET as minzheng_qu → {status}, "
                    f"booking {'found' if again else 'MISSING'}; its log: {said[-1] if said else '(nothing)'}")
    return status == 200 and again


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def fmt(interval) -> str:
    return "-" if interval is None else f"{interval.total_seconds() * 1000:.1f} ms"


def pin_seconds() -> int:
    return int(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "10"))


if __name__ == "__main__":
    sys.exit(main())
