"""gunicorn's settings for Linli: ``gunicorn -c config/gunicorn.py config.wsgi`` (``linli serve-prod``
runs it so). Options on the command line win over these.

    GUNICORN_BIND     where to listen (default 127.0.0.1:8000; behind the TLS proxy, on loopback or a
                      private network only)
    WEB_CONCURRENCY   worker processes (default 2 × cores + 1: a sync worker waits on the database
                      for much of a request, so a core serves about two)
    GUNICORN_THREADS  threads per worker (default 1; more makes gunicorn use its gthread worker)
    GUNICORN_TIMEOUT  seconds a worker may spend on one request before the master kills and replaces it

The master restarts a worker that dies or hangs. Each worker is replaced after about a thousand
requests (``max_requests``), so a slow leak never grows far. The access log goes to standard
output with the time each request took; errors to standard error. ``PROMETHEUS_MULTIPROC_DIR``
(default ``var/prometheus/<port>``) is emptied when the master starts, so /metrics adds up the
workers of this run (``core.metrics``).
"""

import os
import shutil
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be an integer, not {value!r}") from None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


wsgi_app = "config.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = _int("WEB_CONCURRENCY", 2 * _cores() + 1)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
max_requests = 1000
# Workers that start together serve about as many requests each: with a narrow jitter they all
# reach max_requests within a second and restart at once, and nobody is served while they boot
# (seconds; seen in bench/bench_load.py). Half of max_requests spreads the restarts out.
max_requests_jitter = 500
# The workers' heartbeat files in memory, not on a disk that may stall them (gunicorn's advice).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
# Client, request, status, bytes, milliseconds taken, and the page it came from.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s"'
proc_name = "linli"
# No control socket: it would be one path in the home folder for every gunicorn on the machine.
control_socket_disable = True


def on_starting(server):
    port = str(server.cfg.bind[0]).rsplit(":", 1)[-1] if server.cfg.bind else "default"
    folder = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(BASE_DIR / "var" / "prometheus" / port)))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
