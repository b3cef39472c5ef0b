"""The locust users of the load benchmark (bench/bench_load.py runs them; not a benchmark itself).

What each kind of user does is what the people of the demo city do most, with the pauses a person
takes between two taps (1-3 s). Every request is named by its kind, so the report gives requests/s,
percentiles and errors per kind. Any answer but 2xx (after redirects) counts as an error.

* ``Resident`` — a resident of 梅阳社区 on a phone: the home page, 我的邻里, the activities (the API
  list the phone pages load, and the page), one activity, their registrations; now and then
  registers for an activity and cancels, or asks for a room that needs approval;
* ``Staff`` — the community worker: books a free hour of a room and often cancels it, opens the
  approvals and approves a resident's request (a request made in this run);
* ``Supervisor`` — the bureau (the city) and the street: the supervision dashboard and the
  governance overview;
* ``Bare`` and ``MainRead`` — without pauses, for the throughput floor: ``/healthz`` (Django's
  whole middleware, no database, no template) against the activities list API.

Everything they need (sessions, tokens, ids, free hours of rooms) is in the JSON file named by
``LINLI_LOAD_PLAN``, written by bench_load.py; ``LINLI_LOAD_STEP`` picks this run's share of the
free hours, so no two runs book the same hour.
"""

import itertools
import json
import os
import random
from collections import deque

from locust import between, constant, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["LINLI_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
STEP, STEPS = int(os.environ.get("LINLI_LOAD_STEP", "0")), int(os.environ.get("LINLI_LOAD_STEPS", "1"))
MAIN_READ = "/api/v1/neighbourhood/activities?page_size=20"


def share(slots: list) -> "itertools.cycle":
    """This run's slice of the free hours (each run its own)."""
    size = max(1, len(slots) // max(1, STEPS))
    return iter(slots[STEP * size:(STEP + 1) * size])


BOOKABLE = share(PLAN["bookable_slots"])
APPROVAL = share(PLAN["approval_slots"])
RESIDENTS = itertools.cycle(PLAN["residents"])
REQUESTS_TO_DECIDE: deque[int] = deque()  # pending bookings residents asked for in this run


class Signed(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    account: dict

    def get(self, path: str, name: str, *, api: bool = False):
        headers = {"Authorization": f"Bearer {self.account['token']}"} if api else None
        return self.client.get(path, name=name, headers=headers)

    def post(self, path: str, name: str, body: dict):
        return self.client.post(path, name=name, json=body, headers={"Authorization": f"Bearer {self.account['token']}"})

    def on_start(self):
        self.client.cookiejar.clear()
        for key, value in self.account["cookies"].items():
            self.client.cookiejar.set_cookie(_cookie(key, value))


def _cookie(name: str, value: str):
    from http.cookiejar import Cookie

    return Cookie(version=0, name=name, value=value, port=None, port_specified=False, domain="127.0.0.1", domain_specified=False,
                  domain_initial_dot=False, path="/", path_specified=True, secure=False, expires=None, discard=True, comment=None,
                  comment_url=None, rest={}, rfc2109=False)


class Resident(Signed):
    weight = 6

    def on_start(self):
        self.account = next(RESIDENTS)
        super().on_start()

    @task(2)
    def home(self):
        self.get("/", "resident: home page")

    @task(2)
    def neighbourhood(self):
        self.get("/neighbourhood/", "resident: 我的邻里 page")

    @task(4)
    def activities_api(self):
        self.get(MAIN_READ, "resident: activities list API (main read)", api=True)

    @task(2)
    def activities_page(self):
        self.get("/neighbourhood/activities/", "resident: activities page")

    @task(2)
    def activity(self):
        self.get(f"/neighbourhood/activities/{random.choice(PLAN['activities'])}/", "resident: activity page")

    @task(1)
    def my_registrations(self):
        self.get("/neighbourhood/me/registrations/", "resident: my registrations page")

    @task(1)
    def register_and_cancel(self):
        activity = random.choice(PLAN["register_for"])
        answer = self.post(f"/api/v1/neighbourhood/activities/{activity}/registrations", "resident: register (API)", {"places": 1})
        if answer.status_code == 201:
            self.post(f"/api/v1/neighbourhood/registrations/{answer.json()['id']}/cancel", "resident: cancel registration (API)", {})

    @task(1)
    def ask_for_a_room(self):
        slot = next(APPROVAL, None)
        if slot is None:
            return
        answer = self.post("/api/v1/scheduling/bookings", "resident: request a room needing approval (API)",
                           {"room_id": slot["room"], "starts_at": slot["start"], "ends_at": slot["end"], "title": "广场舞队排练",
                            "attendees": 10})
        if answer.status_code == 201:
            REQUESTS_TO_DECIDE.append(answer.json()["id"])


class Staff(Signed):
    weight = 2

    def on_start(self):
        self.account = PLAN["staff"]
        super().on_start()

    @task(2)
    def book_and_cancel(self):
        slot = next(BOOKABLE, None)
        if slot is None:
            return
        answer = self.post("/api/v1/scheduling/bookings", "staff: book a room (API)",
                           {"room_id": slot["room"], "starts_at": slot["start"], "ends_at": slot["end"], "title": "居民议事会",
                            "attendees": 8})
        if answer.status_code == 201 and random.random() < 0.7:
            self.post(f"/api/v1/scheduling/bookings/{answer.json()['id']}/cancel", "staff: cancel a booking (API)",
                      {"scope": "one", "reason": "改期"})

    @task(2)
    def approve(self):
        self.get("/api/v1/scheduling/approvals", "staff: approvals list (API)", api=True)
        if REQUESTS_TO_DECIDE:
            booking = REQUESTS_TO_DECIDE.popleft()
            self.post(f"/api/v1/scheduling/bookings/{booking}/decision", "staff: approve a request (API)",
                      {"approve": True, "note": "同意"})

    @task(1)
    def scheduling_home(self):
        self.get("/scheduling/", "staff: 场地预约 page")


class Supervisor(Signed):
    weight = 1

    def on_start(self):
        self.account = random.choice(PLAN["supervisors"])
        super().on_start()

    @task(2)
    def dashboard(self):
        self.get(f"/supervision/{self.account['division']}/", "supervisor: supervision dashboard page")

    @task(1)
    def governance(self):
        self.get("/governance/", "supervisor: governance overview page")

    @task(1)
    def home(self):
        self.get("/", "supervisor: home page")


class Bare(FastHttpUser):
    """The floor: Django's whole middleware and a view that touches nothing."""

    wait_time = constant(0)

    @task
    def healthz(self):
        self.client.get("/healthz", name="floor: /healthz")


class MainRead(Signed):
    """The main read endpoint, as fast as it answers."""

    wait_time = constant(0)

    def on_start(self):
        self.account = next(RESIDENTS)
        super().on_start()

    @task
    def activities(self):
        self.get(MAIN_READ, "main read: activities list API", api=True)
