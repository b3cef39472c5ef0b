"""`linli serve-prod` (`make serve-prod`): Linli as in production, on this machine, in one command.

1. the environment of production: ``LINLI_MODE=production``; ``DATABASE_URL`` (default: the
   PostgreSQL database ``linli`` on 127.0.0.1, as the user libpq picks: ``PGUSER``, else yours);
   ``REDIS_URL`` (default: Redis on 127.0.0.1, database 0; set it empty to run without Redis);
   ``SECRET_KEY`` (default: one generated once into ``var/secret_key``, never committed);
   ``ALLOWED_HOSTS`` (default: the address served, 127.0.0.1 and localhost); ``TLS_PROXY``
   (default 0 here: plain HTTP, for a browser on this machine; 1 behind a proxy that terminates TLS);
2. the database: created if missing (PostgreSQL), migrated, and the demo city built if it is empty
   (``--no-demo`` leaves it empty);
3. the static files collected (skipped when nothing changed since the last collection);
4. three processes, watched: gunicorn (``config/gunicorn.py``: workers sized to the cores; its
   master restarts its own workers), the task worker (``db_worker``) and the clock (``tick --every
   60``). One that dies is started again (after a pause that grows while it keeps dying at once,
   giving up after five quick deaths in a row); each line they print is prefixed with its name.
   Each task worker gets an id of its own; the tasks one was running when it ended go back in the
   queue before the next starts (``recover_tasks``, ``core.tasks``), and so, at start, do those of
   the workers of an earlier serve-prod of this machine that no longer runs;
5. ``/readyz`` is awaited, and the address printed. SIGTERM or Ctrl-C stops all three (gunicorn and
   the worker finish what they are doing first), and so does this command's death (Linux).
"""

import contextlib
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.tasks import worker_id_for

DEFAULT_DATABASE_URL = "postgres://127.0.0.1:5432/linli"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
QUICK_DEATH_SECONDS = 10
RECOVER_AGAIN_SECONDS = 15  # between tries to put a dead worker's tasks back while the database does not answer
GIVE_UP_AFTER = 5


STAMP = "collected.sha256"


def static_fingerprint() -> str:
    """What the collected static files are made of: every file the finders find, with its size and
    time. ``collectstatic`` runs again only when it changes (its value is kept in STATIC_ROOT/STAMP)."""
    from django.contrib.staticfiles import finders

    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            entries.append(f"{getattr(storage, 'prefix', '') or ''}/{path} {stat.st_size} {stat.st_mtime_ns}")
    digest = hashlib.sha256(b"collected for production")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def _libc_prctl():
    """prctl(2), to have a child receive SIGTERM when this process dies (Linux), or None elsewhere."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _libc_prctl()
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Service:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None
    pumps: list = field(default_factory=list)
    worker_ids: bool = False  # a task worker: each start gets a new --worker-id
    worker_id: str = ""
    starts: int = 0


class Command(BaseCommand):
    help = "Serve Linli as in production: PostgreSQL, Redis, gunicorn, the task worker and the clock, watched."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Where gunicorn listens (127.0.0.1:8000)")
        parser.add_argument("--no-demo", action="store_true", help="Leave an empty database empty (no demo city)")
        parser.add_argument("--workers", type=int, help="gunicorn's worker processes (default 2 × cores + 1)")
        parser.add_argument("--ready-timeout", type=float, default=180, help="Seconds to wait for /readyz (180)")

    # Output -----------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        with self._lock:
            self.stdout.write(f"== {text}")
            self.stdout.flush()

    def _pump(self, name: str, stream) -> None:
        width = 6
        for line in iter(stream.readline, ""):
            with self._lock:
                self.stdout.write(f"{name:<{width}}| {line.rstrip()}")
                self.stdout.flush()
        stream.close()

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=self.env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                   bufsize=1, start_new_session=True, preexec_fn=_die_with_parent)
        pump = threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True)
        pump.start()
        self._pumps.append(pump)
        return process

    # Steps -------------------------------------------------------------------------------------

    def handle(self, *args, addrport, no_demo, workers, ready_timeout, **options):
        self._lock = threading.RLock()  # a signal's handler may write while this thread writes
        self._pumps: list[threading.Thread] = []
        self._stop = threading.Event()
        self._step: subprocess.Popen | None = None
        self.services: list[Service] = []
        self._lost_workers: list[str] = []  # of workers that ended, until their tasks are back in the queue
        self._recover_again_at = 0.0
        host, _, port = addrport.rpartition(":")
        host = host or "127.0.0.1"
        if not port.isdigit():
            raise CommandError(f"Give the address as host:port (127.0.0.1:8000), not {addrport!r}")
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.env = self.production_env(host, port, workers)
            self.prepare(no_demo)
            if self._stop.is_set():
                return
            self.start_services()
            self.await_ready(host, port, ready_timeout)
            self.supervise()
        finally:
            self.stop_services()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.say("stopped")

    def _on_signal(self, signum, frame):
        if not self._stop.is_set():
            self.say(f"{signal.Signals(signum).name}: stopping")
        self._stop.set()
        if self._step is not None and self._step.poll() is None:
            self._step.terminate()

    def production_env(self, host: str, port: str, workers: int | None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("RUN_MAIN", "DJANGO_AUTORELOAD"))}
        env.update({"LINLI_MODE": "production", "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1",
                    "GUNICORN_BIND": f"{host}:{port}"})
        env["DATABASE_URL"] = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        if "REDIS_URL" not in os.environ:
            env["REDIS_URL"] = DEFAULT_REDIS_URL
        if not env.get("SECRET_KEY"):
            env["SECRET_KEY"] = self.secret_key()
        served = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        env["ALLOWED_HOSTS"] = env.get("ALLOWED_HOSTS") or ",".join(dict.fromkeys([served, "127.0.0.1", "localhost"]))
        env["TLS_PROXY"] = env.get("TLS_PROXY") or "0"
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        redis = self._masked(env["REDIS_URL"]) if env.get("REDIS_URL") else "none (REDIS_URL is empty: cache in files, sessions in the database)"
        plain = env["TLS_PROXY"].strip().lower() in ("0", "false", "no", "off")
        self.say(f"production mode: database {self._masked(env['DATABASE_URL'])}, Redis {redis}, "
                 + ("plain HTTP (TLS_PROXY=0; behind a proxy that terminates TLS, set TLS_PROXY=1)" if plain
                    else "behind a TLS proxy (TLS_PROXY=1: it must send X-Forwarded-Proto: https)"))
        return env

    @staticmethod
    def _masked(url: str) -> str:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        if not parts.password:
            return url
        return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))

    def secret_key(self) -> str:
        path = Path(settings.BASE_DIR) / "var" / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key + "\n")
        self.say(f"generated a SECRET_KEY into {path} (readable by you only; set SECRET_KEY to use another)")
        return key

    def prepare(self, no_demo: bool) -> None:
        self.ensure_database()
        self.ensure_redis()
        manage = [sys.executable, "manage.py"]
        self.run_step("migrate", [*manage, "migrate", "--noinput"])
        self.run_step("lost tasks", [*manage, "recover_tasks", "--dead-supervisors"])
        if not no_demo:
            self.run_step("demo", [*manage, "demo", "--if-empty"])
        fingerprint = static_fingerprint()
        stamp = Path(self.env.get("STATIC_ROOT") or settings.STATIC_ROOT) / STAMP
        if (stamp.parent / "staticfiles.json").exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
            self.say(f"static files: unchanged since they were collected into {stamp.parent}")
        else:
            self.run_step("static", [*manage, "collectstatic", "--noinput"])
            if not self._stop.is_set():
                stamp.write_text(fingerprint + "\n")

    def run_step(self, name: str, command: list[str]) -> None:
        if self._stop.is_set():
            return
        self.say(f"{name}: {' '.join(command[1:])}")
        began = time.monotonic()
        self._step = self._spawn(name, command)
        code = self._step.wait()
        self._step = None
        if self._stop.is_set():
            return
        if code != 0:
            raise CommandError(f"{name} failed (status {code}); see its output above")
        self.say(f"{name}: done in {time.monotonic() - began:.0f} s")

    def ensure_database(self) -> None:
        import dj_database_url

        url = self.env["DATABASE_URL"]
        config = dj_database_url.parse(url)
        if config["ENGINE"] != "django.db.backends.postgresql":
            self.say(f"database: {config['ENGINE'].rsplit('.', 1)[-1]} {config['NAME']}")
            return
        import psycopg
        from psycopg import sql

        name = config["NAME"]
        params = {"dbname": "postgres", "connect_timeout": 5, "host": config.get("HOST") or None,
                  "port": config.get("PORT") or None, "user": config.get("USER") or None, "password": config.get("PASSWORD") or None,
                  **{key: value for key, value in (config.get("OPTIONS") or {}).items() if key in ("sslmode", "sslrootcert")}}
        try:
            with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as connection:
                exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
                if not exists:
                    connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    self.say(f"database: created {name}")
                else:
                    self.say(f"database: {name} is there")
        except psycopg.Error as exc:
            raise CommandError(f"PostgreSQL at {self._masked(url)} cannot be used: {str(exc).strip()}\n"
                               "Start PostgreSQL, or set DATABASE_URL=postgres://USER@HOST:PORT/DATABASE (a password after USER: if it needs one) "
                               "(a user who may create the database, or a database that exists).") from None

    def ensure_redis(self) -> None:
        url = self.env.get("REDIS_URL")
        if not url:
            return
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
        except redis.RedisError as exc:
            raise CommandError(f"Redis at {self._masked(url)} does not answer: {exc}\n"
                               "Start Redis, or set REDIS_URL (empty to run without it).") from None

    # The three processes --------------------------------------------------------------------------

    def start_services(self) -> None:
        manage = [sys.executable, "manage.py"]
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.services = [
            Service("web", [gunicorn, "-c", str(Path(settings.BASE_DIR) / "config" / "gunicorn.py")]),
            Service("worker", [*manage, "db_worker", "--interval", "1"], worker_ids=True),
            Service("clock", [*manage, "tick", "--every", "60"]),
        ]
        for service in self.services:
            self.start(service)

    def start(self, service: Service) -> None:
        command = service.command
        if service.worker_ids:
            service.starts += 1
            service.worker_id = worker_id_for(service.starts)
            command = [*command, "--worker-id", service.worker_id]
        service.process = self._spawn(service.name, command)
        service.started = time.monotonic()
        service.restart_at = None
        self.say(f"{service.name}: started (pid {service.process.pid}{', id ' + service.worker_id if service.worker_id else ''})")

    def recover_lost_tasks(self) -> None:
        """Put the tasks of the workers that ended back in the queue (kept for the next try while the
        database does not answer)."""
        if not self._lost_workers:
            return
        command = [sys.executable, "manage.py", "recover_tasks", *(f"--worker={w}" for w in self._lost_workers)]
        try:
            done = subprocess.run(command, cwd=settings.BASE_DIR, env=self.env, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            self.say(f"lost tasks: no answer within 60 s; trying again in {RECOVER_AGAIN_SECONDS} s")
            self._recover_again_at = time.monotonic() + RECOVER_AGAIN_SECONDS
            return
        if done.returncode == 0:
            self.say(f"lost tasks: {done.stdout.strip()}")
            self._lost_workers.clear()
        else:
            reason = (done.stderr.strip().splitlines() or ["?"])[-1]
            self.say(f"lost tasks: could not be put back yet ({reason}); trying again in {RECOVER_AGAIN_SECONDS} s")
            self._recover_again_at = time.monotonic() + RECOVER_AGAIN_SECONDS

    def await_ready(self, host: str, port: str, timeout: float) -> None:
        served = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        address = f"http://{served}:{port}"
        deadline, last_said = time.monotonic() + timeout, time.monotonic()
        failing = "no answer yet"
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.watch()
            try:
                with urllib.request.urlopen(f"{address}/readyz", timeout=10) as answer:
                    if answer.status == 200:
                        self.say(f"ready: Linli is on {address}/ (API documentation {address}/api/docs, "
                                 f"metrics {address}/metrics). Ctrl-C stops it.")
                        return
            except urllib.error.HTTPError as error:
                with contextlib.suppress(ValueError):
                    import json

                    failing = "failing: " + ", ".join(json.loads(error.read()).get("failed", []))
            except (urllib.error.URLError, OSError):
                failing = "no answer yet"
            if time.monotonic() - last_said >= 10:
                self.say(f"waiting for {address}/readyz ({failing})")
                last_said = time.monotonic()
            self._stop.wait(1)
        if not self._stop.is_set():
            self.say(f"not ready after {timeout:.0f} s ({failing}); still serving on {address}/ and watching")

    def watch(self) -> None:
        """Start again any process that ended, after a pause that grows while it keeps ending at once."""
        now = time.monotonic()
        for service in self.services:
            if service.process is None:
                continue
            if service.restart_at is not None:
                if now >= service.restart_at:
                    if service.worker_ids:
                        self.recover_lost_tasks()
                    self.start(service)
                continue
            code = service.process.poll()
            if code is None:
                continue
            if service.worker_ids:
                self._lost_workers.append(service.worker_id)
            lived = now - service.started
            service.quick_deaths = service.quick_deaths + 1 if lived < QUICK_DEATH_SECONDS else 0
            if service.quick_deaths >= GIVE_UP_AFTER:
                raise CommandError(f"{service.name} ended {GIVE_UP_AFTER} times in a row within {QUICK_DEATH_SECONDS} s "
                                   f"of starting (status {code}): giving up; see its output above")
            pause = 2 ** service.quick_deaths if service.quick_deaths else 1
            self.say(f"{service.name}: pid {service.process.pid} ended with status {code} after {lived:.0f} s; "
                     f"starting it again in {pause} s")
            service.restart_at = now + pause

    def supervise(self) -> None:
        while not self._stop.is_set():
            self.watch()
            if self._lost_workers and time.monotonic() >= self._recover_again_at:
                self.recover_lost_tasks()  # the database did not answer at the restart: again, now and then
            self._stop.wait(0.5)

    def stop_services(self) -> None:
        if self._step is not None and self._step.poll() is None:
            self._step.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._step.wait(timeout=30)
        running = [s for s in self.services if s.process is not None and s.process.poll() is None]
        for service in running:
            service.process.terminate()
        deadline = time.monotonic() + 40  # gunicorn's graceful timeout is 30 s
        for service in running:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{service.name}: still running; killing it")
                service.process.kill()
                service.process.wait(timeout=10)
        for pump in self._pumps:
            pump.join(timeout=2)
