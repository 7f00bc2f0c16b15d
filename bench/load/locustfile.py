"""A working day's traffic mix for `bench/load_test.py` (issue 18): nurses, a lead, a clerk, the manager.

Weights follow what the people do: a nurse opens her worklist, searches a client, opens a task page,
logs call attempts and writes records; the lead looks at the team's list; a clerk imports a results
file now and then; the manager opens the dashboard (when the statistics app is installed).
Tokens are fetched once per user at start (the login endpoint is rate-limited per address).
"""

from __future__ import annotations

import itertools
import os
import random
import threading

from locust import HttpUser, between, events, task

PASSWORD = os.environ["CARELOOP_DEMO_PASSWORD"]
NURSES = os.environ.get("LOAD_NURSES", "nurse").split(",")
# Think time between a person's actions, as a multiple of the realistic pauses below (1 = a person at work;
# 0.1 = ten times busier: the capacity run, where few simulated users stand for many real ones).
THINK = float(os.environ.get("LOAD_THINK", "1"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_tokens: dict[str, str] = {}
_lock = threading.Lock()
_nurse_cycle = itertools.cycle(NURSES)


def token_for(client, username: str) -> str:
    with _lock:
        if username not in _tokens:
            response = client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD},
                                   name="auth token (once per user)")
            response.raise_for_status()
            _tokens[username] = response.json()["token"]
        return _tokens[username]


class Nurse(HttpUser):
    weight = 8
    wait_time = between(1 * THINK, 3 * THINK)

    def on_start(self) -> None:
        with _lock:
            self.username = next(_nurse_cycle)
        self.headers = {"Authorization": f"Token {token_for(self.client, self.username)}"}
        self.tasks_seen: list[int] = []

    @task(6)
    def worklist(self) -> None:
        response = self.client.get("/api/v1/followup-tasks/worklist/", headers=self.headers, name="worklist (API)")
        if response.ok:
            body = response.json()
            rows = body.get("results", [])
            self.tasks_seen = [r["task"]["id"] if isinstance(r.get("task"), dict) else r.get("id") for r in rows
                               if isinstance(r, dict)]
            self.tasks_seen = [t for t in self.tasks_seen if t]

    @task(4)
    def search(self) -> None:
        self.client.get(f"/api/v1/clients/?q={random.choice(SURNAMES)}", headers=self.headers, name="client search")

    @task(4)
    def task_detail(self) -> None:
        if self.tasks_seen:
            self.client.get(f"/api/v1/followup-tasks/{random.choice(self.tasks_seen)}/", headers=self.headers,
                            name="task detail")

    @task(2)
    def attempt(self) -> None:
        if self.tasks_seen:
            with self.client.post(f"/api/v1/followup-tasks/{random.choice(self.tasks_seen)}/attempts/",
                                  json={"outcome": random.choice(["no_answer", "busy", "poor_line"])},
                                  headers=self.headers, name="call attempt", catch_response=True) as response:
                if response.status_code in (201, 400, 409):  # a task closed meanwhile is a fair refusal
                    response.success()

    @task(1)
    def record(self) -> None:
        if self.tasks_seen:
            task_id = self.tasks_seen.pop(random.randrange(len(self.tasks_seen)))
            with self.client.post(f"/api/v1/followup-tasks/{task_id}/record/", json={
                    "identity_confirmed": True, "answers": {}, "guidance": "按时服药，两周后复查"},
                    headers=self.headers, name="follow-up record", catch_response=True) as response:
                if response.status_code in (201, 400, 409):  # questionnaires differ per task: 400 is expected
                    response.success()


class Lead(HttpUser):
    weight = 1
    wait_time = between(2 * THINK, 5 * THINK)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Token {token_for(self.client, 'lead')}"}

    @task
    def team_list(self) -> None:
        self.client.get("/api/v1/followup-tasks/?status=pending", headers=self.headers, name="team tasks")


class Manager(HttpUser):
    weight = 1
    wait_time = between(5 * THINK, 10 * THINK)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Token {token_for(self.client, 'manager')}"}

    @task
    def dashboard(self) -> None:
        with self.client.get("/api/v1/stats/kpis/", headers=self.headers, name="manager dashboard",
                             catch_response=True) as response:
            if response.status_code == 404:  # statistics not installed in this build
                response.success()


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument("--careloop-note", default="", help="free text echoed into the report")
