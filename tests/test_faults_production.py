"""Faults in production, done for real on loopback while requests keep coming.

A Linli in production mode (gunicorn with two workers, the task worker beside it) runs on a
PostgreSQL cluster of its own, made for this file (``initdb`` on a port of 5440-5449) and loaded
with the small test world. Threads keep sending what residents and staff send: bookings and their
cancellations, registrations for an activity of three places and their cancellations (so the
waitlist moves), donations into a community fund (each a ledger transaction, with the district's
seed matching as a second one), Excel exports for the task worker, and the fund's public page.
Meanwhile:

* a gunicorn worker is killed (``kill -9``): a request it was serving may go unanswered, no other
  fails, and the master starts a new worker;
* the task worker is killed while exports are queued: started again, it runs every one of them;
* PostgreSQL is restarted (``pg_ctl restart -m fast``): meanwhile requests are answered with a 503
  (the Chinese page, or the API's error shape), never a 500 or a traceback; afterwards they succeed
  again, Linli untouched.

At the end the database must hold nothing half-written (``tests.production.check_invariants``):
every ledger transaction balances and every balance is the sum of its legs, each activity's
counts are those of its registrations, no two bookings hold a room at once, and every booking and
registration has its audit entry. The counts of answers in each phase are printed (``-s``).

Skipped, saying so, where the PostgreSQL server programs (initdb, pg_ctl) are not installed.
"""

import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.production import (
    FAULT_RESIDENTS,
    Cluster,
    Linli,
    migrated_database,
    postgres_bin,
    production_env,
    redis_url,
    run_in_django,
)
from tests.servers import free_port

pytestmark = pytest.mark.skipif(
    postgres_bin() is None,
    reason="needs the PostgreSQL server programs (initdb, pg_ctl: apt install postgresql) to run a cluster of its own",
)

THREADS = 6
CHINESE = re.compile("[\u4e00-\u9fff]")


def call(base: str, method: str, path: str, *, token: str | None = None, body: dict | None = None,
         timeout: float = 20) -> tuple[int | None, str, str]:
    """One request: (status or None when nothing came back, content type, text)."""
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        # Nothing came back, or the connection closed in the middle of the answer (a worker killed
        # while it was sending it: IncompleteRead).
        return None, "", type(getattr(error, "reason", error)).__name__


def label(status: int | None, content_type: str, text: str) -> str:
    """What a client saw, in a word: 2xx, a 4xx refusal with its code, a proper 503, or what is wrong."""
    if status is None:
        return f"no answer ({text})"
    if "Traceback" in text:
        return f"{status} traceback"
    if 200 <= status < 300:
        return "2xx"
    if "json" in content_type:
        try:
            shape = json.loads(text)
        except ValueError:
            shape = None
        proper = isinstance(shape, dict) and {"code", "message"} <= set(shape)
        if status == 503:
            return "503 error shape" if proper else "503 without the error shape"
        return f"{status} {shape.get('code')}" if proper else f"{status} without the error shape"
    if status == 503:
        return "503 Chinese page" if CHINESE.search(text) else "503 page without Chinese"
    return f"{status} page"


def bad(outcome: str) -> bool:
    """An answer no fault may cause: a 5xx other than a proper 503, a traceback, a malformed refusal."""
    return ("traceback" in outcome or "without" in outcome or outcome.startswith("5")
            and not outcome.startswith(("503 error shape", "503 Chinese page")))


class Load:
    """THREADS threads sending a steady mix until stopped; every answer counted by phase."""

    def __init__(self, linli: Linli, world: dict):
        self.base, self.world = linli.base, world
        self.phase = "before"
        self.counts: dict[str, Counter] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.slot = 0
        self.threads: list[threading.Thread] = []

    def note(self, kind: str, answer: tuple) -> str:
        outcome = label(*answer)
        with self.lock:
            self.counts.setdefault(self.phase, Counter())[f"{kind}: {outcome}"] += 1
        return outcome

    def next_slot(self) -> tuple[int, str, str]:
        """A room and an hour nobody else books: 08:00-20:00 from ten days ahead, one after another."""
        with self.lock:
            n, self.slot = self.slot, self.slot + 1
        day = date.fromisoformat(self.world["first_day"]) + timedelta(days=n // 24)
        hour = 8 + (n % 24) // 2
        start = datetime(day.year, day.month, day.day, hour).isoformat() + "+08:00"
        end = datetime(day.year, day.month, day.day, hour + 1).isoformat() + "+08:00"
        return self.world["rooms"][n % 2], start, end

    def booker(self) -> None:
        token = self.world["worker"]
        while not self.stopping.is_set():
            room, start, end = self.next_slot()
            answer = call(self.base, "POST", "/api/v1/scheduling/bookings", token=token,
                          body={"room_id": room, "starts_at": start, "ends_at": end, "title": "居民议事会", "attendees": 10})
            if self.note("booking", answer) == "2xx" and self.slot % 3 == 0:
                booking = json.loads(answer[2])["id"]
                self.note("booking cancel", call(self.base, "POST", f"/api/v1/scheduling/bookings/{booking}/cancel", token=token,
                                                 body={"scope": "one", "reason": "改期"}))

    def resident(self, n: int) -> None:
        token, activity = self.world["residents"][n], self.world["activity"]
        while not self.stopping.is_set():
            answer = call(self.base, "POST", f"/api/v1/neighbourhood/activities/{activity}/registrations", token=token,
                          body={"places": 1})
            outcome = self.note("registration", answer)
            registration = json.loads(answer[2])["id"] if outcome == "2xx" else None
            mine = call(self.base, "GET", "/api/v1/neighbourhood/registrations/mine", token=token)
            if self.note("my registrations", mine) == "2xx" and outcome.endswith("already_registered"):
                # A cancellation refused earlier (a 503): the registration is still live, cancel it now.
                live = [r["id"] for r in json.loads(mine[2])["items"] if r["activity_id"] == activity and r["status"] != "cancelled"]
                registration = live[0] if live else None
            if registration is not None:
                self.note("registration cancel", call(self.base, "POST", f"/api/v1/neighbourhood/registrations/{registration}/cancel",
                                                      token=token))

    def donor(self) -> None:
        token, fund = self.world["worker"], self.world["fund"]
        n = 0
        while not self.stopping.is_set():
            n += 1
            self.note("donation", call(self.base, "POST", f"/api/v1/funds/{fund}/income", token=token, body={
                "kind": "public_donation", "amount": "10.00", "donor_name": f"居民{n}", "received_on": today(),
                "receipt_no": f"FZ-{n:05d}"}))
            self.note("public page", call(self.base, "GET", f"/funds/public/{self.world['community']}/"))

    def start(self) -> "Load":
        jobs = [self.booker, self.donor] + [lambda n=n: self.resident(n) for n in range(THREADS - 2)]
        assert THREADS - 2 <= FAULT_RESIDENTS
        self.threads = [threading.Thread(target=job, daemon=True) for job in jobs]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in self.threads)

    def during(self, phase: str, seconds: float = 0) -> Counter:
        with self.lock:
            self.phase = phase
            self.counts.setdefault(phase, Counter())
        time.sleep(seconds)
        return self.counts[phase]

    def report(self) -> str:
        lines = []
        for phase, counts in self.counts.items():
            lines.append(f"{phase}: {sum(counts.values())} requests")
            lines += [f"    {n:5d}  {outcome}" for outcome, n in sorted(counts.items())]
        return "\n".join(lines)


def today() -> str:
    """The date in the city (Beijing time), whatever the machine's zone."""
    return (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()


def wait_until(condition, *, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    began = time.monotonic()

    def say(what: str) -> None:
        print(f"\n[{time.monotonic() - began:5.1f} s] {what}", end="")

    cluster = Cluster(port=free_port(5440, 5449)).start()
    say(f"PostgreSQL {cluster.major} cluster of its own on port {cluster.port}")
    linli = None
    try:
        url = migrated_database(cluster, "linli_faults", say=say)
        world = run_in_django("build_fault_world", database_url=url)
        say("the small world built")
        env = production_env(database_url=url, redis=redis_url(9), media_root=folder / "media", cache_prefix=f"faults-{cluster.port}")
        linli = Linli(env=env, port=free_port(8500, 8599), workers=2, log_dir=folder).start()
        say(f"linli serve-prod ready on {linli.base}\n")
        yield cluster, linli, world
    finally:
        if linli is not None:
            linli.stop()
            steps = [line for line in linli.log_tail(200_000).splitlines() if line.startswith("== ")]
            print("\n--- serve-prod's steps ---\n" + "\n".join(steps))
        cluster.stop()


@pytest.fixture(scope="module")
def load(production):
    _cluster, linli, world = production
    running = Load(linli, world).start()
    running.during("steady", 2)
    yield running
    running.stop()
    print("\n" + running.report())


def test_requests_go_through_before_any_fault(load):
    steady = load.during("steady", 0)
    assert steady, "no request was answered"
    assert not [o for o in steady if bad(o) or "no answer" in o], load.report()
    assert any(o.startswith("booking: 2xx") for o in steady) and any(o.startswith("donation: 2xx") for o in steady), load.report()


def test_a_killed_gunicorn_worker_loses_at_most_its_request_and_is_replaced(production, load):
    _cluster, linli, _world = production
    before = linli.web_workers()
    victim = linli.kill_web_worker()
    seen = load.during("gunicorn worker killed")
    replaced = wait_until(lambda: len(linli.web_workers()) == len(before) and victim not in linli.web_workers(), timeout=15)
    time.sleep(2)
    load.during("after the worker was replaced", 2)
    assert replaced, f"gunicorn did not replace worker {victim}: {linli.web_workers()}"
    assert not [o for o in seen if bad(o)], load.report()
    # A sync worker serves one request at a time: only the one it held can go unanswered.
    assert sum(n for o, n in seen.items() if "no answer" in o) <= 1, load.report()
    after = load.counts["after the worker was replaced"]
    assert after and not [o for o in after if bad(o) or "no answer" in o], load.report()


def export(linli: Linli, world: dict) -> int:
    status, _type, text = call(linli.base, "POST", "/api/v1/excel/exports", token=world["worker"],
                               body={"register_name": "scheduling.bookings", "params": {"within": world["community"]}})
    assert status == 202, text
    return json.loads(text)["id"]


def job_states(linli: Linli, world: dict, jobs: list[int]) -> list[str]:
    return [json.loads(call(linli.base, "GET", f"/api/v1/excel/jobs/{job}", token=world["worker"])[2]).get("status", "?")
            for job in jobs]


def test_tasks_queued_while_the_task_worker_is_dead_run_when_it_is_back(production, load):
    _cluster, linli, world = production
    load.during("task worker killed")
    victim = linli.kill_task_worker()
    jobs = [export(linli, world) for _ in range(4)]
    queued = job_states(linli, world, jobs)
    print(f"\ntask worker {victim} killed; the exports queued meanwhile: {queued}")
    successor = wait_until(lambda: linli.task_worker() not in (None, victim) and linli.task_worker(), timeout=30)
    assert successor, f"serve-prod did not start the task worker again\n{linli.log_tail()}"
    assert wait_until(lambda: job_states(linli, world, jobs) == ["done"] * len(jobs), timeout=60, step=0.5), (
        f"the exports after the task worker came back: {job_states(linli, world, jobs)}\n{linli.log_tail()}")
    assert not [o for o in load.counts["task worker killed"] if bad(o) or "no answer" in o], load.report()


def test_a_task_the_killed_worker_was_running_runs_again_under_the_next(production, load):
    """The worker is frozen (SIGSTOP) while an export is queued, the export is made to look as the worker
    had begun it, and the worker is killed: serve-prod puts the task back in the queue, the job back to
    queued, and the next worker runs it to the end."""
    import os
    import signal

    cluster, linli, world = production
    load.during("task worker killed mid-task")
    victim, victim_id = linli.task_worker(), linli.task_worker_id()
    assert victim_id, f"serve-prod gives each task worker an id of its own\n{linli.log_tail()}"
    os.kill(victim, signal.SIGSTOP)
    job = export(linli, world)
    run_in_django("task_claimed_by", database_url=cluster.url("linli_faults"), argument={"job": job, "worker_id": victim_id})
    assert job_states(linli, world, [job]) == ["running"]
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: job_states(linli, world, [job]) == ["done"], timeout=60, step=0.5), (
        f"the export the killed worker was running: {job_states(linli, world, [job])}\n{linli.log_tail()}")
    assert "lost tasks: tasks of workers that ended: 1 queued again" in linli.log.read_text(errors="replace"), linli.log_tail()
    assert not [o for o in load.counts["task worker killed mid-task"] if bad(o) or "no answer" in o], load.report()


def test_a_postgresql_restart_answers_503_meanwhile_and_linli_recovers_by_itself(production, load):
    cluster, linli, world = production
    load.during("PostgreSQL restarting")
    began = time.monotonic()
    cluster.restart()
    restarted = time.monotonic() - began
    load.during("after the restart (recovering)")

    def recovered() -> bool:
        status, _type, _text = call(linli.base, "GET", "/api/v1/neighbourhood/registrations/mine", token=world["residents"][-1])
        return status == 200

    assert wait_until(recovered, timeout=30), f"Linli did not recover after PostgreSQL came back\n{linli.log_tail()}"
    time.sleep(1)
    steady = load.during("after the restart (recovered)", 3)
    during = load.counts["PostgreSQL restarting"] + load.counts["after the restart (recovering)"]
    print(f"\nPostgreSQL restarted in {restarted:.1f} s")
    assert not [o for o in during if bad(o) or "no answer" in o], load.report()
    assert steady and not [o for o in steady if bad(o) or "no answer" in o or o.endswith("503 error shape")
                           or o.endswith("503 Chinese page")], load.report()
    assert any(o.startswith("donation: 2xx") for o in steady), load.report()
    # The task worker kept going, or serve-prod started it again: an export queued now is done.
    job = export(linli, world)
    assert wait_until(lambda: job_states(linli, world, [job]) == ["done"], timeout=60, step=0.5), (
        f"an export after the restart did not run\n{linli.log_tail()}")


def test_nothing_is_half_written(production, load):
    cluster, _linli, _world = production
    load.stop()
    found = run_in_django("check_invariants", database_url=cluster.url("linli_faults"))
    print(f"\nafter the faults: {json.dumps({k: v for k, v in found.items() if k != 'problems'}, ensure_ascii=False)}")
    assert found["problems"] == []
    assert found["bookings"] and found["registrations"] and found["incomes"]
    assert set(found["tasks"]) <= {"SUCCESSFUL"}, found["tasks"]
