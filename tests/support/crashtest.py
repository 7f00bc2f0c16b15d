"""Crash harness for the outbox: messages to the local fake gateway while workers are SIGKILLed.

    python -m tests.support.crashtest --messages 10000 --kills 50 --workers 2 [--database-url …]

Sets up a fresh database (a temporary SQLite file, or the PostgreSQL database named in
``--database-url``, dropped and created), seeds clients with consent and queued messages, starts
``careloop worker --no-huey`` processes against a FakeSmsGateway with injected temporary and permanent
failures, kills a random worker with SIGKILL at random intervals and restarts it, waits until every
message is settled and then counts: lost (not settled, or marked sent but never accepted by the
gateway), duplicated (accepted more than once), dead versus the injected permanent failures, and the
kills that landed while a row was ``sending``. Delivery receipts (callback and status query) can be
switched off to measure the duplicates they prevent. An optional second phase measures throughput with
no kills and no failures against a bare loop posting the same requests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
APP_KEY, APP_SECRET = "bench-app", "bench-secret"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--kill-interval", type=float, default=0.5,
                        help="a kill lands up to this many seconds after the victim is seen working")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8, help="send threads per worker")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=20, help="rows marked sending together")
    parser.add_argument("--temporary", type=float, default=0.05)
    parser.add_argument("--permanent", type=float, default=0.005)
    parser.add_argument("--no-receipts", dest="receipts", action="store_false")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--lease", type=int, default=2, help="lease seconds")
    parser.add_argument("--grace", type=int, default=3, help="seconds an unknown row waits for a receipt")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.0, help="gateway seconds per send (crash phase)")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--throughput", type=int, default=0, help="messages for the throughput phase (0 = skip)")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    return parser.parse_args(argv)


def _recreate_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    if name in {"", "postgres", "template0", "template1"}:
        raise SystemExit("--database-url must name a scratch database (it is dropped and created)")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _configure(args: argparse.Namespace) -> str:
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="careloop-crash-")
    os.environ["CARELOOP_DATA_DIR"] = data_dir
    os.environ.pop("CARELOOP_TEST_DB_NAME", None)
    if args.database_url:
        _recreate_postgres(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update({
        "CARELOOP_MESSAGING_QUIET_HOURS": "off",
        "CARELOOP_MESSAGING_DAILY_CAP": "0",
        "CARELOOP_MESSAGING_MAX_ATTEMPTS": "1000",
        "CARELOOP_MESSAGING_RETRY_BASE_SECONDS": "1",
        "CARELOOP_MESSAGING_RETRY_CAP_SECONDS": "2",
        "CARELOOP_MESSAGING_LEASE_SECONDS": str(args.lease),
        "CARELOOP_MESSAGING_UNKNOWN_GRACE_SECONDS": str(args.grace),
        "DJANGO_SETTINGS_MODULE": "careloop.settings",
        "PYTHONPATH": str(REPO_ROOT),
    })
    import logging
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    logging.getLogger("waitress").setLevel(logging.ERROR)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def _start_receipt_server() -> tuple[Any, str]:
    from django.core.wsgi import get_wsgi_application
    from waitress import create_server

    server = create_server(get_wsgi_application(), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, name="receipts", daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}/api/v1/messages/receipts/"


def _seed_clients(count: int) -> list[int]:
    import datetime as dt

    from django.utils import timezone

    from careloop.clients.models import Client, Consent
    from careloop.clients.services import id_number_index, phone_index
    from careloop.lib.identity import make_id_number
    from careloop.org.services import orgunit_create_raw

    hq = orgunit_create_raw(name="压测总公司", kind="hq", parent=None, code="crash-hq")
    unit = orgunit_create_raw(name="压测分公司", kind="branch", parent=hq, code="crash")
    clients = []
    for n in range(count):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=n // 500)
        phone, id_number = f"139{n:08d}", make_id_number("110105", birth, n, "female")
        clients.append(Client(name=f"压测{n}", sex="female", birth_date=birth, branch=unit, phone=phone,
                              id_number=id_number, phone_hash=phone_index(phone),
                              id_number_hash=id_number_index(id_number)))
    Client.objects.bulk_create(clients, batch_size=500)
    now = timezone.now()
    Consent.objects.bulk_create([Consent(client=c, purpose="reminders", granted=True, given_at=now) for c in clients],
                                batch_size=500)
    return [c.pk for c in clients]


def _seed_messages(client_ids: list[int], count: int, rng: random.Random) -> list[int]:
    from django.utils import timezone

    from careloop.messaging.models import Message, MessageTemplate

    template = MessageTemplate.objects.get(purpose="report_ready", channel="sms", is_active=True)
    now = timezone.now()
    rows = [Message(client_id=rng.choice(client_ids), channel="sms", purpose="report_ready",
                    consent_purpose="reminders", template=template, template_version=template.version,
                    body=f"{template.sms_signature}您好，您的体检报告已出，请到本中心前台领取。（{n}）", segments=1,
                    requested_at=now, scheduled_at=now, next_attempt_at=now) for n in range(count)]
    Message.objects.bulk_create(rows, batch_size=1000)
    return [m.pk for m in rows]


class Workers:
    def __init__(self, count: int, args: argparse.Namespace, log_dir: Path) -> None:
        self.args = args
        self.log_dir = log_dir
        self.generation = 0
        self.procs: list[tuple[subprocess.Popen[bytes], str]] = [self.spawn(slot) for slot in range(count)]

    def spawn(self, slot: int) -> tuple[subprocess.Popen[bytes], str]:
        self.generation += 1
        worker_id = f"w{slot}-{self.generation}"
        log = (self.log_dir / f"{worker_id}.log").open("wb")
        command = [sys.executable, "-m", "careloop.cli", "worker", "--no-huey", "--threads", str(self.args.threads),
                   "--batch", str(self.args.batch), "--poll", "0.05", "--sweep", "1", "--chunk", str(self.args.chunk), "--worker-id", worker_id]
        proc = subprocess.Popen(command, cwd=REPO_ROOT, env=os.environ.copy(), stdout=log, stderr=log)
        return proc, worker_id

    def kill_one(self, rng: random.Random, *, settle: float) -> str:
        """SIGKILL a random worker once it is seen working (a kill during start-up proves nothing)."""
        from careloop.messaging.models import Message

        slot = rng.randrange(len(self.procs))
        proc, worker_id = self.procs[slot]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not Message.objects.filter(lease_owner=worker_id).exists():
            if _unsettled() == 0:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0, settle))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.procs[slot] = self.spawn(slot)
        return worker_id

    def revive(self) -> int:
        """Restart workers that exited on their own (they never should); returns how many."""
        revived = 0
        for slot, (proc, _) in enumerate(self.procs):
            if proc.poll() is not None:
                self.procs[slot] = self.spawn(slot)
                revived += 1
        return revived

    def stop(self) -> None:
        for proc, _ in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _unsettled() -> int:
    from careloop.messaging.models import Message, Status

    return Message.objects.exclude(status__in=[Status.SENT, Status.DELIVERED, Status.DEAD, Status.CANCELLED]).count()


def _wait_settled(timeout: float, gateway: Any, receipts: bool) -> bool:
    from careloop.messaging.models import Message, Status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _unsettled() == 0:
            if not receipts:
                return True
            gateway.wait_receipts(timeout=max(1.0, deadline - time.monotonic()))
            if not Message.objects.filter(status=Status.SENT).exists():
                return True
        time.sleep(0.1)
    return False


def crash_phase(args: argparse.Namespace, gateway: Any, client_ids: list[int], log_dir: Path) -> dict[str, Any]:
    from careloop.messaging.models import Message, Status

    rng = random.Random(args.seed)
    ids = _seed_messages(client_ids, args.messages, rng)
    started = time.monotonic()
    workers = Workers(args.workers, args, log_dir)
    kills = kills_in_send = crashed = 0
    try:
        spacing = max(1, args.messages // (args.kills + 1))  # spread the kills over the whole run
        while kills < args.kills and time.monotonic() - started < args.timeout:
            remaining = _unsettled()
            if remaining == 0:
                break
            goal = min(args.messages - spacing * (kills + 1), remaining - 1)
            while _unsettled() > max(goal, 0) and time.monotonic() - started < args.timeout:
                crashed += workers.revive()
                time.sleep(0.05)
            killed = workers.kill_one(rng, settle=args.kill_interval)
            kills += 1
            kills_in_send += Message.objects.filter(status=Status.SENDING, lease_owner=killed).count()
        settled = _wait_settled(args.timeout - (time.monotonic() - started), gateway, args.receipts)
    finally:
        workers.stop()
    elapsed = time.monotonic() - started
    statuses = dict(Message.objects.filter(pk__in=ids).values_list("id", "status"))
    accepted = gateway.log.accepted
    lost = sorted(pk for pk, st in statuses.items()
                  if st not in (Status.SENT, Status.DELIVERED, Status.DEAD)
                  or (st in (Status.SENT, Status.DELIVERED) and accepted[str(pk)] == 0))
    dead = {pk for pk, st in statuses.items() if st == Status.DEAD}
    injected = {pk for pk in ids if gateway.is_permanently_failing(str(pk))}
    return {
        "messages": len(ids), "workers": args.workers, "receipts": args.receipts, "settled": settled,
        "seconds": round(elapsed, 1), "kills": kills, "kills_in_send": kills_in_send, "worker_crashes": crashed,
        "lost": len(lost), "lost_ids": lost[:20], "duplicated": gateway.log.duplicates,
        "dead": len(dead), "injected_permanent": len(injected), "dead_equals_injected": dead == injected,
        "temporary_failures": gateway.log.temporary,
        "delivered": sum(1 for st in statuses.values() if st == Status.DELIVERED),
        "flagged_possible_duplicate": Message.objects.filter(pk__in=ids, possible_duplicate=True).count(),
        "duplicated_not_flagged": len({int(k) for k, n in accepted.items() if n > 1 and k.isdigit()}
                                      - set(Message.objects.filter(pk__in=ids, possible_duplicate=True)
                                            .values_list("pk", flat=True))),
    }


def throughput_phase(args: argparse.Namespace, gateway: Any, client_ids: list[int], log_dir: Path,
                     workers_count: int) -> dict[str, Any]:
    from tests.support.fakegateway import GatewayLog

    rng = random.Random(args.seed + workers_count)
    gateway.temporary_rate = gateway.permanent_rate = gateway.latency = 0.0
    gateway.log = GatewayLog()
    workers = Workers(workers_count, args, log_dir)
    try:
        _seed_messages(client_ids, 1, rng)  # warm-up: wait until the workers are up and sending
        _wait_settled(120, gateway, args.receipts)
        started = time.monotonic()
        ids = _seed_messages(client_ids, args.throughput, rng)
        while _unsettled() and time.monotonic() - started < args.timeout:
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        workers.stop()
    return {"workers": workers_count, "messages": len(ids), "seconds": round(elapsed, 2),
            "per_second": round(len(ids) / elapsed, 1), "duplicated": gateway.log.duplicates}


def bare_loop(gateway: Any, count: int) -> dict[str, Any]:
    from careloop.messaging.providers.base import Outgoing
    from careloop.messaging.providers.sms_http import HttpSmsGateway

    provider = HttpSmsGateway(url=gateway.url, app_key=APP_KEY, app_secret=APP_SECRET, timeout=5)
    started = time.monotonic()
    for n in range(count):
        provider.send(Outgoing(out_id=f"bare-{n}", channel="sms", to=f"139{n % 10**8:08d}",
                               body=f"【健康管理中心】您好，您的体检报告已出，请到本中心前台领取。（{n}）"))
    elapsed = time.monotonic() - started
    return {"messages": count, "seconds": round(elapsed, 2), "per_second": round(count / elapsed, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = _configure(args)
    log_dir = Path(data_dir) / "worker-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    from tests.support.fakegateway import FakeSmsGateway

    server, receipt_url = _start_receipt_server()
    gateway = FakeSmsGateway(app_key=APP_KEY, app_secret=APP_SECRET, temporary_rate=args.temporary,
                             permanent_rate=args.permanent, seed=args.seed, receipts=args.receipts,
                             receipt_threads=4, latency=args.latency).start()
    provider: dict[str, Any] = {"backend": "http_sms", "url": gateway.url, "app_key": APP_KEY,
                                "app_secret": APP_SECRET, "timeout": 5}
    if args.receipts:
        provider.update(receipt_url=receipt_url, query_url=gateway.query_url)
    os.environ["CARELOOP_MESSAGING_PROVIDERS"] = json.dumps({"sms": provider})
    os.environ["CARELOOP_MESSAGING_RECEIPT_SECRET"] = APP_SECRET
    from django.conf import settings  # this process read its settings already; the workers read the env

    settings.MESSAGING_PROVIDERS = {"sms": provider}
    settings.MESSAGING_RECEIPT_SECRET = APP_SECRET
    client_ids = _seed_clients(args.clients)
    result: dict[str, Any] = {"database": "postgresql" if args.database_url else "sqlite"}
    try:
        result["crash"] = crash_phase(args, gateway, client_ids, log_dir) if args.messages else None
        if args.throughput:
            result["throughput"] = [throughput_phase(args, gateway, client_ids, log_dir, n)
                                    for n in sorted({1, args.workers})]
            result["bare_loop"] = bare_loop(gateway, args.throughput)
            for row in result["throughput"]:
                row["ratio_to_bare_loop"] = round(row["per_second"] / result["bare_loop"]["per_second"], 2)
    finally:
        gateway.stop()
        server.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
