"""Crash safety of the follow-up loop (issue 18): SIGKILL the web process and the worker at random.

Runs `careloop serve` and `careloop worker` on a scratch PostgreSQL database, drives the loop through
the API from several threads — encounters (which schedule follow-up tasks), call attempts (three
unanswered calls queue an SMS), follow-up records (which close a task) — while a killer thread
SIGKILLs the web process or the worker at random moments and starts it again. Afterwards:

* every acknowledged write (a 201 received) is in the database;
* no follow-up task is lost (each acknowledged encounter has its schedule) or duplicated (no two
  live tasks of one encounter with the same rule and sequence);
* no message is lost (after a final drain every message is sent) or sent twice (the provider's log
  holds each message id once);
* `careloop audit verify` passes.

    python bench/crash_loop.py --kills 200            # the issue's figure (takes a while)
    python bench/crash_loop.py --kills 30 --threads 3  # a quick look

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARELOOP = [sys.executable, "-m", "careloop.cli"]
PASSWORD = "crash-loop-demo-2026"
FIRST_CALL = {"identity_confirmed": True, "answers": {
    "medication_time": True, "medication_method": True, "adverse_reaction": "无", "plan_started": "已开始",
    "plan_explained": True}, "guidance": "饭后温服"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, token: str | None = None, payload: dict | None = None,
         timeout: float = 10) -> tuple[int, dict]:
    """(status, body); status 0 when the connection broke (the outcome is unknown)."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"{}")
        except ValueError:
            return error.code, {}
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
        return 0, {}


@dataclass
class Acked:
    encounters: dict[int, int] = field(default_factory=dict)  # encounter id → client id
    attempts: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)  # task ids closed by an acknowledged record
    unknown: Counter = field(default_factory=Counter)  # requests whose answer was lost in a kill
    refused: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Cluster:
    """The web process and the worker, each restartable."""

    def __init__(self, env: dict[str, str], logs: Path, port: int) -> None:
        self.env, self.logs, self.port = env, logs, port
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.starts = Counter()

    def start(self, which: str) -> None:
        log = (self.logs / f"{which}.log").open("a")
        if which == "web":
            self.web = subprocess.Popen([*CARELOOP, "serve", "--threads", "8"], cwd=ROOT,
                                        env={**self.env, "PORT": str(self.port)}, stdout=log, stderr=log)
            wait_up(f"http://127.0.0.1:{self.port}/healthz")
        else:
            self.worker = subprocess.Popen([*CARELOOP, "worker", "--poll", "0.2", "--sweep", "5"], cwd=ROOT,
                                           env=self.env, stdout=log, stderr=log)
        self.starts[which] += 1

    def kill(self, which: str) -> None:
        process = self.web if which == "web" else self.worker
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http("GET", url, timeout=2)[0] == 200:
            return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def drive(base: str, token: str, clients: list[int], acked: Acked, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    today = dt.date.today()
    while not stop.is_set():
        client = rng.choice(clients)
        status, body = http("POST", f"{base}/api/v1/encounters/", token, {
            "client": client, "kind": "tcm_first_visit", "prescription_days": 14,
            "date": (today - dt.timedelta(days=rng.randint(0, 2))).isoformat()})
        if status == 0:
            acked.unknown["encounter"] += 1
            time.sleep(0.2)  # the web process is down: wait for it rather than spin
            continue
        if status != 201:
            acked.refused[f"encounter {status}"] += 1
            continue
        with acked.lock:
            acked.encounters[body["id"]] = client
        task_ids = [t["id"] if isinstance(t, dict) else t for t in body.get("tasks", [])]
        if not task_ids:
            continue
        first = min(task_ids)
        for _ in range(rng.choice([1, 3])):  # three unanswered calls queue the FU-12 SMS
            status, attempt = http("POST", f"{base}/api/v1/followup-tasks/{first}/attempts/", token,
                                   {"outcome": "no_answer"})
            if status == 0:
                acked.unknown["attempt"] += 1
            elif status == 201:
                with acked.lock:
                    acked.attempts.append(attempt["attempt"]["id"] if "attempt" in attempt else attempt["id"])
            else:
                acked.refused[f"attempt {status}"] += 1
        if rng.random() < 0.5:
            status, _record = http("POST", f"{base}/api/v1/followup-tasks/{first}/record/", token, FIRST_CALL)
            if status == 0:
                acked.unknown["record"] += 1
            elif status == 201:
                with acked.lock:
                    acked.records.append(first)
            else:
                acked.refused[f"record {status}"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4, help="API clients driving the loop")
    parser.add_argument("--clients", type=int, default=60, help="demo clients to drive")
    parser.add_argument("--min-gap", type=float, default=0.3, help="seconds between kills, at least")
    parser.add_argument("--max-gap", type=float, default=2.0, help="seconds between kills, at most")
    parser.add_argument("--max-minutes", type=float, default=60, help="stop killing after this long")
    parser.add_argument("--database-url", default=os.environ.get("CRASH_DATABASE_URL",
                                                                 "postgres://127.0.0.1:5432/postgres"))
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--drain-seconds", type=float, default=300, help="how long the final drain may take")
    parser.add_argument("--work-dir", default="/tmp/careloop-crash-loop")
    args = parser.parse_args()

    import psycopg

    work = Path(args.work_dir)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    name = "careloop_crash_loop"
    base_url = args.database_url.rsplit("/", 1)[0]
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    outbox = work / "sms.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "PYTEST", "DJANGO_"))}
    env.pop("REDIS_URL", None)
    env.update({
        "DATABASE_URL": f"{base_url}/{name}", "CARELOOP_DATA_DIR": str(work / "data"),
        "CARELOOP_SECRET_KEY": "crash-loop-secret-" + "k" * 48, "CARELOOP_DEMO_PASSWORD": PASSWORD,
        "CARELOOP_MESSAGING_PROVIDERS": json.dumps({"sms": {"backend": "file", "path": str(outbox)}}),
        "CARELOOP_MESSAGING_QUIET_CHANNELS": "letter", "CARELOOP_MESSAGING_DAILY_CAP": "0",
        "CARELOOP_LOG_LEVEL": "ERROR", "CARELOOP_FU_CALLING_START": "00:00", "CARELOOP_FU_CALLING_END": "23:59",
    })
    print(f"setting up {name} …", flush=True)
    subprocess.run([*CARELOOP, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*CARELOOP, "demo", "--base-clients", str(args.clients)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)

    cluster = Cluster(env, work, free_port())
    cluster.start("web")
    cluster.start("worker")
    base = f"http://127.0.0.1:{cluster.port}"
    status, body = http("POST", f"{base}/api/v1/auth/token/", payload={"username": "nurse", "password": PASSWORD})
    assert status == 200, body
    token = body["token"]
    clients: list[int] = []
    url = f"{base}/api/v1/clients/?status=active"
    while url and len(clients) < args.clients:
        status, page = http("GET", url, token)
        clients += [c["id"] for c in page.get("results", [])]
        url = page.get("next")
    assert clients, "the nurse sees no clients"

    acked, stop = Acked(), threading.Event()
    drivers = [threading.Thread(target=drive, args=(base, token, clients, acked, stop, args.seed + n), daemon=True)
               for n in range(args.threads)]
    for thread in drivers:
        thread.start()
    rng = random.Random(args.seed)
    kills = Counter()
    started = time.monotonic()
    while sum(kills.values()) < args.kills and time.monotonic() - started < args.max_minutes * 60:
        time.sleep(rng.uniform(args.min_gap, args.max_gap))
        which = rng.choice(["web", "worker"])
        cluster.kill(which)
        kills[which] += 1
        cluster.start(which)
        if sum(kills.values()) % 20 == 0:
            print(f"  {sum(kills.values())} kills; {len(acked.encounters)} encounters, {len(acked.attempts)} attempts,"
                  f" {len(acked.records)} records acknowledged", flush=True)
    stop.set()
    for thread in drivers:
        thread.join(timeout=30)
    elapsed = time.monotonic() - started
    cluster.stop()
    # Drain: worker runs send whatever is due (each first sweeps what a kill left: expired leases become
    # unknown, are reconciled, and retried after a short backoff) until nothing is left within 10 minutes.
    drain_until = time.monotonic() + args.drain_seconds
    while time.monotonic() < drain_until:
        subprocess.run([*CARELOOP, "worker", "--once"], cwd=ROOT, env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        with psycopg.connect(f"{base_url}/{name}") as conn:
            pending = conn.execute(
                "SELECT count(*) FROM messaging_message WHERE status NOT IN ('sent', 'delivered', 'cancelled', 'dead') "
                "AND next_attempt_at <= now() + interval '10 minutes'").fetchone()[0]
        if pending == 0:
            break
        time.sleep(5)
    verify = subprocess.run([*CARELOOP, "audit", "verify"], cwd=ROOT, env=env, capture_output=True, text=True)

    with psycopg.connect(f"{base_url}/{name}") as conn:
        present_encounters = {r[0] for r in conn.execute("SELECT id FROM followups_encounter").fetchall()}
        present_attempts = {r[0] for r in conn.execute("SELECT id FROM followups_callattempt").fetchall()}
        done_tasks = {r[0] for r in conn.execute(
            "SELECT task_id FROM followups_followuprecord").fetchall()}
        tasks_by_encounter = Counter(r[0] for r in conn.execute(
            "SELECT encounter_id FROM followups_followuptask WHERE encounter_id = ANY(%s)",
            (list(acked.encounters),)).fetchall())
        duplicated_tasks = conn.execute(
            "SELECT count(*) FROM (SELECT encounter_id, rule_id, sequence FROM followups_followuptask "
            "WHERE status <> 'cancelled' AND encounter_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d"
        ).fetchone()[0]
        messages = dict(conn.execute("SELECT status, count(*) FROM messaging_message GROUP BY 1").fetchall())
        not_sent = conn.execute(
            "SELECT count(*) FROM messaging_message WHERE status NOT IN ('sent', 'delivered', 'cancelled', 'dead') "
            "AND next_attempt_at <= now() + interval '10 minutes'").fetchone()[0]
        sent_ids = {r[0] for r in conn.execute(
            "SELECT id FROM messaging_message WHERE status IN ('sent', 'delivered')").fetchall()}
    handed = Counter(int(json.loads(line)["id"]) for line in outbox.read_text().splitlines()) if outbox.exists() \
        else Counter()
    lost_encounters = set(acked.encounters) - present_encounters
    without_schedule = [e for e in acked.encounters if tasks_by_encounter[e] == 0]
    lost_attempts = set(acked.attempts) - present_attempts
    lost_records = set(acked.records) - done_tasks
    sent_twice = [m for m, n in handed.items() if n > 1]
    report = {
        "kills": dict(kills), "seconds": round(elapsed, 1), "threads": args.threads,
        "acknowledged": {"encounters": len(acked.encounters), "attempts": len(acked.attempts),
                         "records": len(acked.records)},
        "unknown_outcome_requests": dict(acked.unknown), "refused": dict(acked.refused),
        "lost": {"encounters": len(lost_encounters), "schedules": len(without_schedule),
                 "attempts": len(lost_attempts), "records": len(lost_records), "messages_unsent": not_sent,
                 "messages_sent_but_not_handed": len(sent_ids - set(handed))},
        "duplicated": {"tasks": duplicated_tasks, "messages_sent_twice": len(sent_twice)},
        "messages": messages, "audit_verify": verify.returncode == 0, "audit_message": verify.stdout.strip()[-200:],
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ok = (not lost_encounters and not without_schedule and not lost_attempts and not lost_records and not sent_twice
          and not duplicated_tasks and not not_sent and verify.returncode == 0)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
