"""`linli serve-prod` for real: on a copy of the test database (the static files collected for
production already, as a second start finds them), it prints each step, serves gunicorn with two
workers, the task worker and the clock, waits until /readyz says ready, starts again a task worker
or a clock that is killed, and stops everything on SIGTERM."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import (
    ROOT,
    children,
    collected_static,
    free_port,
    get,
    local_redis_url,
    production_env,
    served_database,
)

# A transaction held open by the test would keep SQLite from copying its database.
pytestmark = pytest.mark.django_db(transaction=True)


class Output:
    def __init__(self, path: Path):
        self.path = path

    @property
    def text(self) -> str:
        return self.path.read_text(errors="replace")

    def wait_for(self, pattern: str, *, process: subprocess.Popen, timeout: float = 240, after: int = 0) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text[after:], re.M)
            if found:
                return found
            if process.poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"no {pattern!r} in the output of serve-prod:\n{self.text[-6000:]}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_serve_prod_serves_as_in_production_restarts_its_helpers_and_stops_on_sigterm(django_db_blocker, tmp_path):
    port = free_port()
    with served_database(django_db_blocker, folder=tmp_path) as (url, _vendor):
        env = production_env(DATABASE_URL=url, REDIS_URL=local_redis_url() or "", STATIC_ROOT=str(collected_static()),
                             MEDIA_ROOT=str(tmp_path / "media"), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"))
        del env["SECRET_KEY"]  # serve-prod's own, generated once into var/
        del env["LINLI_MODE"]  # serve-prod sets production mode for what it starts, as `make serve-prod` runs it
        output = Output(tmp_path / "serve-prod.log")
        with open(output.path, "wb") as log:
            process = subprocess.Popen([sys.executable, "manage.py", "serve_prod", f"127.0.0.1:{port}", "--no-demo", "--workers", "2"],
                                       cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output.wait_for(r"^== ready: Linli is on http://127\.0\.0\.1:\d+/", process=process)
            text = output.text
            assert "== production mode: database " in text
            assert "plain HTTP (TLS_PROXY=0" in text
            assert re.search(r"^== migrate: done in \d+ s$", text, re.M)
            assert "== static files: unchanged since they were collected" in text
            assert "demo" not in text.split("== web: started")[0].replace("--no-demo", "")
            pids = {name: int(pid) for name, pid in re.findall(r"^== (web|worker|clock): started \(pid (\d+)(?:, id \S+)?\)$", text, re.M)}
            assert re.search(r"^== worker: started \(pid \d+, id [^:\s]+:\d+:1\)$", text, re.M), "each task worker has an id of its own"
            assert re.search(r"^== lost tasks: done in \d+ s$", text, re.M), "an earlier serve-prod's lost tasks are looked for"
            assert set(pids) == {"web", "worker", "clock"}
            assert len(children(pids["web"])) == 2  # gunicorn's two workers
            key = ROOT / "var" / "secret_key"
            assert key.exists() and key.stat().st_mode & 0o077 == 0

            status, _, body = get(f"http://127.0.0.1:{port}/readyz")
            assert status == 200, body
            status, headers, page = get(f"http://127.0.0.1:{port}/accounts/login/")
            assert status == 200 and "Content-Security-Policy" in headers and "/static/vendor/" in page

            for name in ("worker", "clock"):
                mark = len(output.text)
                os.kill(pids[name], signal.SIGKILL)
                output.wait_for(rf"^== {name}: pid {pids[name]} ended with status -9 after \d+ s; starting it again in \d+ s$",
                                process=process, after=mark, timeout=30)
                again = output.wait_for(rf"^== {name}: started \(pid (\d+)(?:, id \S+:2)?\)$", process=process, after=mark, timeout=30)
                pids[name] = int(again.group(1))
                assert alive(pids[name])
            assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200

            every = [pids["web"], *children(pids["web"]), pids["worker"], pids["clock"]]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=90) == 0
            assert output.text.rstrip().endswith("== stopped")
            assert [pid for pid in every if alive(pid)] == []
            with pytest.raises(OSError):
                get(f"http://127.0.0.1:{port}/healthz", timeout=3)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
