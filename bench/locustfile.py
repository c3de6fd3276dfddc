"""Locust users for the benchmarks; one locust process, FastHttpUser.

``Reader`` (figure 3 when wrk is missing): GET ``BENCH_PATH`` as fast as it answers, with
``BENCH_TOKEN`` as the API token (empty: no Authorization header).

``Learner``, ``Mentor``, ``Staff`` (the load figure, ``bench.load``): a bootcamp's day. Each user
takes one identity from the plan ``BENCH_LOAD_PLAN`` (written by ``bench.child load_plan``): a
session already signed in (the cookie a sign-in gives, made once per user before the run: the
load generator never posts the sign-in form, whose PBKDF2 would dominate the figures) and an
API token. Pages use the session, the API the token, as a browser and a script would.

- a learner loads their home, logs progress (page or API), submits work (page or API) while it
  has an assignment it may submit, reads ``me/`` and its progress logs;
- a mentor loads the dashboard, the review queue (API), opens a waiting submission's review page
  and reviews it (page or API, "changes requested": the learner may submit again);
- staff open the cohort list and the cohort page, the progress report, the matrix and the CSV.

``BENCH_WAIT`` is ``0`` (no pause: the saturation run) or ``MIN-MAX`` seconds between actions.
At the end the accepted writes (201 or 302 answers) per kind are written to ``BENCH_LOAD_OUT``
as JSON, to be compared with the rows the database holds.
"""

import itertools
import json
import os
import random
import secrets
from collections import Counter

import gevent
from locust import FastHttpUser, between, constant, events, task

# --- figure 3's fallback ----------------------------------------------------------------------


class Reader(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        token = os.environ.get("BENCH_TOKEN", "")
        self.headers = {"Authorization": f"Token {token}"} if token else {}
        self.path = os.environ["BENCH_PATH"]

    @task
    def read(self) -> None:
        self.client.get(self.path, headers=self.headers)


# --- the load figure's mix --------------------------------------------------------------------
PLAN: dict = {}
if os.environ.get("BENCH_LOAD_PLAN"):
    with open(os.environ["BENCH_LOAD_PLAN"]) as plan_file:
        PLAN = json.load(plan_file)
ACCEPTED: Counter = Counter()
ACTIONS = Counter()
_turns = {role: itertools.count() for role in ("learners", "mentors", "staff")}


def _wait():
    """The pause after each action (locust asks after every task): counts the actions too."""
    text = os.environ.get("BENCH_WAIT", "0")
    if text == "0":
        pause = constant(0)
    else:
        low, high = (float(part) for part in text.split("-"))
        pause = between(low, high)

    def wait_time(user) -> float:
        ACTIONS["all"] += 1
        return pause(user)

    return wait_time


def _arrive() -> None:
    """With pauses, a user's first action comes after a pause drawn like the others: a day's
    peak is people already at work, not all of them arriving within the spawn's second."""
    text = os.environ.get("BENCH_WAIT", "0")
    if text != "0":
        gevent.sleep(random.uniform(0, float(text.split("-")[1])))


@events.quitting.add_listener
def _write_accepted(environment, **kwargs) -> None:
    out = os.environ.get("BENCH_LOAD_OUT")
    if out:
        with open(out, "w") as answer:
            json.dump({"accepted": dict(ACCEPTED), "actions": ACTIONS["all"]}, answer)


class Member(FastHttpUser):
    """One signed-in person of the plan; subclasses name their ``role`` in it."""

    abstract = True
    wait_time = _wait()
    role = ""

    def on_start(self) -> None:
        _arrive()
        people = PLAN[self.role]
        self.me = people[next(_turns[self.role]) % len(people)]
        # The CSRF secret is the client's to choose (Django accepts it unmasked in the form).
        self.csrf = secrets.token_hex(16)
        # The two cookies go in a header of our own: no cookie jar, so what the server sets
        # (the messages framework's cookie) cannot pile up.
        self.client.client.cookiejar = None
        self.browser = {
            "Cookie": f"{PLAN['session_cookie_name']}={self.me['session']}; "
            f"{PLAN['csrf_cookie_name']}={self.csrf}"
        }
        self.api = {"Authorization": f"Token {self.me['token']}"}

    def page(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, headers=self.browser, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")

    def post_form(self, path: str, name: str, kind: str, data: dict) -> None:
        """A form post answered by a redirect (accepted) or a page with errors (refused)."""
        data = {**data, "csrfmiddlewaretoken": self.csrf}
        with self.client.post(
            path,
            data=data,
            name=name,
            headers=self.browser,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code == 302:
                ACCEPTED[kind] += 1
            else:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")

    def get_api(self, path: str, name: str):
        with self.client.get(path, name=name, headers=self.api, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
                return None
            return answer.json()

    def post_api(self, path: str, name: str, kind: str, payload: dict) -> None:
        with self.client.post(
            path, json=payload, name=name, headers=self.api, catch_response=True
        ) as answer:
            if answer.status_code == 201:
                ACCEPTED[kind] += 1
            else:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")


class Learner(Member):
    weight = 20
    role = "learners"

    def _log(self) -> dict:
        return {
            "enrollment": self.me["enrollment"],
            "module": random.choice(PLAN["modules"]),
            "logged_on": PLAN["today"],
            "minutes": random.choice((15, 30, 45, 60, 90)),
            "note": "Worked through the exercises.",
        }

    @task(6)
    def home(self) -> None:
        self.page(f"/learner/?enrollment={self.me['enrollment']}", "learner: home (page)")

    @task(2)
    def log_page(self) -> None:
        self.post_form("/learner/log/", "learner: log (page POST)", "progress_logs", self._log())

    @task(1)
    def log_api(self) -> None:
        self.post_api("/api/v1/progress-logs/", "learner: log (API POST)", "progress_logs",
                      self._log())  # fmt: skip

    @task(1)
    def submit(self) -> None:
        if not self.me["submittable"]:
            return self.log_api()
        assignment = self.me["submittable"].pop(0)
        fields = {
            "enrollment": self.me["enrollment"],
            "assignment": assignment,
            "url": f"https://git.example.org/{self.me['username']}/work-{assignment}",
            "note": "Ready for a look.",
        }
        if random.random() < 0.5:
            self.post_form("/learner/submit/", "learner: submit (page POST)", "submissions",
                           fields)  # fmt: skip
        else:
            self.post_api("/api/v1/submissions/", "learner: submit (API POST)", "submissions",
                          fields)  # fmt: skip

    @task(2)
    def api_reads(self) -> None:
        self.get_api("/api/v1/me/", "learner: me (API)")
        self.get_api("/api/v1/progress-logs/?page_size=20", "learner: progress logs (API)")


class Mentor(Member):
    weight = 4
    role = "mentors"

    @task(4)
    def dashboard(self) -> None:
        self.page("/mentor/", "mentor: dashboard (page)")

    @task(3)
    def review_one(self) -> None:
        queue = self.get_api(
            "/api/v1/submissions/?status=submitted&page_size=20", "mentor: review queue (API)"
        )
        waiting = (queue or {}).get("results") or []
        if not waiting:
            return
        submission = random.choice(waiting)["id"]
        self.page(f"/mentor/reviews/{submission}/", "mentor: review (page)")
        verdict = {"verdict": "changes_requested", "feedback": "Good start; tests missing."}
        if random.random() < 0.5:
            self.post_form(f"/mentor/reviews/{submission}/", "mentor: review (page POST)",
                           "reviews", verdict)  # fmt: skip
        else:
            self.post_api(f"/api/v1/submissions/{submission}/review/",
                          "mentor: review (API POST)", "reviews", verdict)  # fmt: skip


class Staff(Member):
    weight = 1
    role = "staff"

    @task(3)
    def cohort_page(self) -> None:
        self.page("/staff/cohorts/", "staff: cohorts (page)")
        self.page(f"/staff/cohorts/{PLAN['cohort']}/", "staff: cohort (page)")

    @task(2)
    def progress(self) -> None:
        self.get_api(f"/api/v1/cohorts/{PLAN['cohort']}/progress/?page_size=50",
                     "staff: progress report (API)")  # fmt: skip

    @task(1)
    def matrix(self) -> None:
        self.get_api(f"/api/v1/cohorts/{PLAN['cohort']}/matrix/", "staff: matrix (API)")

    @task(1)
    def csv(self) -> None:
        self.page(f"/api/v1/cohorts/{PLAN['cohort']}/progress.csv", "staff: progress CSV (API)")
