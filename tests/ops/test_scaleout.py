"""Several machines (issue 18): two web processes and two workers on one PostgreSQL and one Redis.

Each "machine" has its own data directory; they share what a real deployment shares — the database,
Redis, the key ring and the uploads volume (``CARELOOP_MEDIA_DIR``). The test drives imports and
messages through both web processes and checks that every job ran exactly once: each import batch
is imported once (its reports exist once, one completion audit row), every message is handed to the
provider exactly once and ends ``sent``.

Runs only with PostgreSQL and ``REDIS_URL`` (``.ci/run`` has a leg for it); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from careloop.lib.identity import make_id_number
from tests.checkups.builders import result_row, write_csv

pytestmark = pytest.mark.scaleout

ROOT = Path(__file__).resolve().parents[2]
CARELOOP = [sys.executable, "-m", "careloop.cli"]
PASSWORD = "scale-out-demo-2026"
IMPORTS = 8
PEOPLE = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _db_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        pytest.skip("needs DATABASE_URL=postgres://… and REDIS_URL (the scale-out leg of .ci/run)")
    return url


def _http(method: str, url: str, *, token: str | None = None, body: bytes | None = None,
          content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (loopback only)
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _multipart(path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


def test_two_web_processes_and_two_workers_run_every_job_exactly_once(tmp_path: Path) -> None:  # noqa: C901 (one scenario, told in order)
    import psycopg

    admin_url = _db_admin_url()
    name = f"careloop_scaleout_{os.getpid()}"
    base = admin_url.rsplit("/", 1)[0]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    shared = {"media": tmp_path / "shared-uploads", "keys": tmp_path / "shared-keys"}
    outbox = tmp_path / "sms.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "PYTEST", "DJANGO_"))}
    env.update({
        "DATABASE_URL": f"{base}/{name}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "CARELOOP_HUEY_NAME": name,
        "CARELOOP_SECRET_KEY": "scale-out-test-secret-key-" + "x" * 40,
        "CARELOOP_KEYS_DIR": str(shared["keys"]),
        "CARELOOP_MEDIA_DIR": str(shared["media"]),
        "CARELOOP_DEMO_PASSWORD": PASSWORD,
        "CARELOOP_MESSAGING_PROVIDERS": json.dumps({"sms": {"backend": "file", "path": str(outbox)}}),
        "CARELOOP_LOG_LEVEL": "WARNING",
        # Quiet hours would postpone SMS when this runs in the evening in Shanghai; the cap is off.
        "CARELOOP_MESSAGING_QUIET_CHANNELS": "letter", "CARELOOP_MESSAGING_DAILY_CAP": "0",
    })

    def machine_env(n: int) -> dict[str, str]:
        data_dir = tmp_path / f"machine-{n}"
        data_dir.mkdir(exist_ok=True)
        return {**env, "CARELOOP_DATA_DIR": str(data_dir)}

    def careloop(*args: str, n: int = 1) -> None:
        subprocess.run([*CARELOOP, *args], cwd=ROOT, env=machine_env(n), check=True, capture_output=True, timeout=300)

    careloop("migrate", "--noinput", "-v", "0")
    careloop("demo", "--base-clients", "20")

    processes: list[subprocess.Popen] = []
    ports = [_free_port(), _free_port()]
    try:
        for n, port in enumerate(ports, start=1):
            log = (tmp_path / f"web-{n}.log").open("w")
            processes.append(subprocess.Popen([*CARELOOP, "serve"], cwd=ROOT, env={**machine_env(n), "PORT": str(port)},
                                              stdout=log, stderr=subprocess.STDOUT))
            log = (tmp_path / f"worker-{n}.log").open("w")
            processes.append(subprocess.Popen([*CARELOOP, "worker", "--worker-id", f"machine-{n}", "--poll", "0.2"],
                                              cwd=ROOT, env=machine_env(n), stdout=log, stderr=subprocess.STDOUT))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url in urls:
            _wait_http(f"{url}/healthz")

        tokens = {}
        for user in ("clerk", "admin"):
            status, body = _http("POST", f"{urls[0]}/api/v1/auth/token/",
                                 body=json.dumps({"username": user, "password": PASSWORD}).encode())
            assert status == 200, body
            tokens[user] = body["token"]

        # Imports through both web processes: each file its own people, three items each.
        batches = []
        for i in range(IMPORTS):
            rows = []
            for person in range(PEOPLE):
                id_number = make_id_number("110105", date(1960 + person, 3, 1 + i), 100 + i * 10 + person, "male")
                for code, item, value in (("GLU", "空腹血糖", "5.1"), ("TC", "总胆固醇", "4.2"), ("SBP", "收缩压", "128")):
                    rows.append(result_row(exam_no=f"SO{i:02d}{person}", id_number=id_number, name=f"扩容{i}{person}",
                                           date="2026-11-20", code=code, item_name=item, value=value))
            body, content_type = _multipart(write_csv(tmp_path / f"import-{i}.csv", rows))
            status, batch = _http("POST", f"{urls[i % 2]}/api/v1/checkup-imports/", token=tokens["clerk"],
                                  body=body, content_type=content_type)
            assert status == 202, batch
            batches.append(batch["id"])

        # Messages through both web processes, to demo clients who agreed to reminders (sent by the administrator,
        # who sees every client: how many of a nurse's own clients agreed depends on the demo's owner chain).
        status, page = _http("GET", f"{urls[0]}/api/v1/clients/?page_size=200", token=tokens["admin"])
        assert status == 200, page
        queued: list[int] = []
        refusals: dict[str, int] = {}
        for n, client in enumerate(page["results"]):
            status, message = _http("POST", f"{urls[n % 2]}/api/v1/messages/", token=tokens["admin"], body=json.dumps(
                {"client": client["id"], "purpose": "recheck_reminder", "context": {}}).encode())
            if status == 201:
                queued.append(message["id"])
            else:
                reason = f"{status} {str(message)[:80]}"
                refusals[reason] = refusals.get(reason, 0) + 1
        assert len(queued) >= 5, f"only {len(queued)} messages could be queued for the demo clients: {len(page['results'])} visible, {refusals}"

        deadline = time.monotonic() + 180
        done: dict[int, dict] = {}
        while time.monotonic() < deadline and len(done) < IMPORTS:
            for batch_id in batches:
                if batch_id not in done:
                    status, batch = _http("GET", f"{urls[batch_id % 2]}/api/v1/checkup-imports/{batch_id}/",
                                          token=tokens["clerk"])
                    if batch.get("status") not in {"pending", "running"}:
                        done[batch_id] = batch
            time.sleep(0.5)
        assert len(done) == IMPORTS, f"imports still running: {set(batches) - set(done)}"
        assert {b["status"] for b in done.values()} == {"done"}, [b.get("errors") for b in done.values()]
        assert sorted(b["reports_created"] for b in done.values()) == [PEOPLE] * IMPORTS

        statuses: dict[int, str] = {}
        while time.monotonic() < deadline:
            statuses = {m: _http("GET", f"{urls[m % 2]}/api/v1/messages/{m}/", token=tokens["admin"])[1].get("status")
                        for m in queued}
            if all(s in {"sent", "delivered"} for s in statuses.values()):
                break
            time.sleep(0.5)
        assert set(statuses.values()) <= {"sent", "delivered"}, statuses
        handed = Counter(int(json.loads(line)["id"]) for line in outbox.read_text().splitlines())
        # Every message queued here reached the provider once; nothing (the demo's own messages included) twice.
        assert all(handed[m] == 1 for m in queued) and set(handed.values()) == {1}, handed
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        # Count the jobs in the database the machines shared, then drop it.
        with psycopg.connect(f"{base}/{name}", autocommit=True) as conn:
            owners = conn.execute("SELECT lease_owner, count(*) FROM messaging_message GROUP BY 1").fetchall()
            reports = conn.execute("SELECT count(*) FROM checkups_checkup WHERE exam_no LIKE 'SO%%'").fetchone()[0]
            completions = conn.execute(
                "SELECT object_id, count(*) FROM audit_auditevent WHERE action = 'checkup.import' GROUP BY object_id"
            ).fetchall()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert reports == IMPORTS * PEOPLE
    print(f"scale-out: {IMPORTS} imports ran once each ({reports} reports, {len(completions)} completion rows); "
          f"{len(queued)} messages sent once each; lease owners {owners}")
    assert all(count == 1 for _, count in completions), completions

