"""Linli served as in production, on loopback, for the tests of production mode.

* ``served_database``: a copy of the test database (SQLite: through the backup API into a file;
  PostgreSQL: ``CREATE DATABASE … TEMPLATE``), with users added, that processes of their own use;
* ``collected_static``: the static files collected for production once per change of their
  sources (kept under ``var/test-cache/``, as ``linli serve-prod`` keeps its own);
* ``Gunicorn``: gunicorn with ``config/gunicorn.py`` in production mode on a port of 8100-8199;
* ``Gate``: a TCP forwarder in front of PostgreSQL or Redis that a test shuts (new connections
  refused, those it carries cut, as a server that went down) and opens again.

Every process and socket is started here and stopped here.
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PORTS = (8100, 8199)


def free_port(first: int = PORTS[0], last: int = PORTS[1]) -> int:
    """A port of 127.0.0.1 in first..last (8100-8199 by default) nothing listens on, tried in a random
    order: tests run in parallel."""
    ports = list(range(first, last + 1))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


def local_redis_url() -> str | None:
    """REDIS_URL when set, else the local Redis (database 11) when it answers, else None."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    return "redis://127.0.0.1:6379/11"


def argon2(password: str) -> str:
    """The hash production checks (the tests' settings hash with MD5, which production refuses)."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hasher = Argon2PasswordHasher()
    return hasher.encode(password, hasher.salt())


@contextlib.contextmanager
def served_database(blocker, *, users: dict[str, str] = (), folder: Path):
    """A copy of the test database with the given users (username -> password), as a DATABASE_URL;
    ``(url, vendor)``. Dropped at the end."""
    from django.db import connection, connections

    alias = f"served_{uuid.uuid4().hex[:8]}"
    with blocker.unblock():
        vendor = connection.vendor
        source = dict(connection.settings_dict)
        if connection.in_atomic_block:
            raise RuntimeError("a copy of the test database is made outside a transaction: mark the test "
                               "django_db(transaction=True), or make the copy in a fixture of a wider scope")
        if vendor == "sqlite":
            path = folder / "served.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()
            url = f"sqlite:///{path}"
            copy = {**source, "NAME": str(path), "TEST": {}}
        else:
            name = f"{source['NAME']}_served_{os.getpid()}"[:63]
            connections.close_all()
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source["NAME"]}"')
            credentials = source["USER"] + (f":{source['PASSWORD']}" if source.get("PASSWORD") else "")
            url = f"postgres://{credentials}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}/{name}"
            copy = {**source, "NAME": name, "TEST": {}}
        connections.databases[alias] = copy
        try:
            from accounts.models import User

            for username, password in dict(users).items():
                User.objects.db_manager(alias).create(username=username, password=argon2(password))
        finally:
            connections[alias].close()
            del connections.databases[alias]
    try:
        yield url, vendor
    finally:
        if vendor != "sqlite":
            with blocker.unblock(), connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(**extra: str) -> dict[str, str]:
    """The environment a deployment gives Linli (production mode, behind a TLS proxy), plus ``extra``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTEST", "DJANGO_", "REDIS_URL", "DATABASE_URL", "SQLITE_TEST"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LINLI_MODE": "production",
        "SECRET_KEY": "h1-loopback-production-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_KEY_PREFIX": f"h1-{uuid.uuid4().hex[:12]}",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({key: value for key, value in extra.items() if value is not None})
    return env


def collected_static() -> Path:
    """A STATIC_ROOT collected for production from the current sources (built once, then kept)."""
    from core.management.commands.serve_prod import STAMP, static_fingerprint

    fingerprint = static_fingerprint()
    cache = ROOT / "var" / "test-cache"
    folder = cache / f"static-{fingerprint[:16]}"
    if (folder / "staticfiles.json").exists():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="static-", dir=cache))
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True, timeout=900,
                   env=production_env(STATIC_ROOT=str(building)))
    (building / STAMP).write_text(fingerprint + "\n")
    try:
        building.rename(folder)
    except OSError:  # another test process collected the same files first
        shutil.rmtree(building, ignore_errors=True)
    for old in cache.glob("static-*"):
        if old != folder and old.name.count("-") == 1 and len(old.name) == len(folder.name):
            shutil.rmtree(old, ignore_errors=True)
    return folder


def children(pid: int) -> list[int]:
    """The ids of a process's children."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return sorted(set(found))


def get(url: str, *, headers: dict | None = None, timeout: float = 15) -> tuple[int, dict, str]:
    """GET without following redirects: (status, headers, text)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status, dict(answer.headers), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")


class Gunicorn:
    """gunicorn (``config/gunicorn.py``) in production mode on 127.0.0.1:``port``, with ``env``."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, log: Path):
        self.port = free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers),
                    "PROMETHEUS_MULTIPROC_DIR": str(log.parent / f"prometheus-{self.port}")}
        self.workers = workers
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> "Gunicorn":
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([GUNICORN, "-c", str(ROOT / "config" / "gunicorn.py")], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ended with status {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if get(f"{self.base}/healthz", timeout=5)[0] == 200 and len(self.worker_pids()) >= self.workers:
                    return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process and self.process.poll() is None else []

    def log_tail(self, chars: int = 4000) -> str:
        return log_tail(self.log, chars)

    def stop(self) -> None:
        stop_gracefully(self.process, timeout=40)



def log_tail(log, chars: int) -> str:
    """The end of a server's log file, or nothing before it exists."""
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def stop_gracefully(process, *, timeout: float) -> None:
    """SIGTERM, as a supervisor stops a server, then SIGKILL if it has not ended within ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class Gate:
    """A TCP forwarder from a port of 127.0.0.1 to ``upstream`` (host, port). Open, it carries every
    byte both ways; shut, it refuses new connections and cuts those it carries, as a server that has
    gone down; opened again, on the same port, it carries new connections again."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def open(self) -> "Gate":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.settimeout(None)
            with self._lock:
                self._sockets |= {client, server}
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def shut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
