"""Load test (issue 18): a realistic mix against a production-like server on PostgreSQL.

Sets up a scratch database with `careloop demo --clients N`, starts `careloop serve --processes P`
(gunicorn, docs/decisions/wsgi-server.md) and `careloop worker`, runs locust headless with
bench/load/locustfile.py for the given time while a clerk uploads a results file in the background every
few seconds, and prints requests/s, p50/p95/p99 and errors per request type and in total.

    python bench/load_test.py --clients 1000000 --users 60 --minutes 10    # the issue's run
    python bench/load_test.py --clients 20000 --users 30 --minutes 2       # a quick look
    python bench/load_test.py --clients 1000000 --users 60 --think 0.1 --reuse   # capacity: users 10× busier

Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CARELOOP = [sys.executable, "-m", "careloop.cli"]
PASSWORD = "load-test-demo-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def results_file(n: int) -> bytes:
    from careloop.checkups.layout import DEFAULT_HEADERS
    from careloop.lib.identity import make_id_number

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(DEFAULT_HEADERS.values()))
    for person in range(20):
        id_number = make_id_number("110105", dt.date(1950 + person, 1 + n % 12, 1 + person), 500 + n, "female")
        for code, item, value in (("GLU", "空腹血糖", "6.4"), ("TC", "总胆固醇", "5.9"), ("SBP", "收缩压", "142")):
            writer.writerow([f"LD{n:05d}{person:02d}", id_number, f"负载{n}号{person}", "女", dt.date.today().isoformat(),
                             code, item, value, "", "", ""])
    return buffer.getvalue().encode()


def clerk_uploads(base: str, stop: threading.Event, every: float, counts: dict[str, int]) -> None:
    request = urllib.request.Request(f"{base}/api/v1/auth/token/", method="POST",
                                     data=json.dumps({"username": "clerk", "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        token = json.loads(response.read())["token"]
    n = 0
    while not stop.wait(every):
        n += 1
        boundary = uuid.uuid4().hex
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="load-{n}.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n").encode() + results_file(n) + f"\r\n--{boundary}--\r\n".encode()
        upload = urllib.request.Request(f"{base}/api/v1/checkup-imports/", data=body, method="POST", headers={
            "Authorization": f"Token {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(upload, timeout=60) as response:
                counts["imports_accepted" if response.status == 202 else "imports_other"] += 1
        except OSError:
            counts["imports_failed"] += 1


class CpuMeter(threading.Thread):
    """CPU seconds spent by the web server's processes and by the PostgreSQL backends serving its database.

    On a machine shared with other work, requests per second and latencies measure the contention as much as
    careloop; CPU seconds per request do not. cores ÷ (CPU seconds per request) is the rate the server and its
    database could sustain with the machine to themselves (an upper bound: it ignores queueing and locks)."""

    def __init__(self, root_pid: int, database_url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.root_pid, self.database_url, self.database = root_pid, database_url, database
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self.stop = threading.Event()

    def _sample(self, conn) -> None:
        import psutil

        pids: list[tuple[str, int]] = []
        try:
            root = psutil.Process(self.root_pid)
            pids = [("web", p.pid) for p in [root, *root.children(recursive=True)]]
        except psutil.Error:
            pass
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]).fetchall()
        pids += [("db", int(pid)) for (pid,) in rows]
        initial = not self.last  # processes seen at the start count from there; later ones from their birth
        for key in pids:
            try:
                times = psutil.Process(key[1]).cpu_times()
            except psutil.Error:
                continue
            used = times.user + times.system
            self.first.setdefault(key, used if initial else 0.0)
            self.last[key] = used

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while True:
                self._sample(conn)
                if self.stop.wait(2):
                    self._sample(conn)
                    return

    def seconds(self, kind: str) -> float:
        return sum(self.last[k] - self.first[k] for k in self.last if k[0] == kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=60, help="simulated people (locust users)")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--think", type=float, default=1.0,
                        help="think time as a multiple of a person's pauses (0.1: each user ten times busier)")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--import-every", type=float, default=20.0, help="seconds between background imports")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL",
                                                                 "postgres://127.0.0.1:5432/postgres"))
    parser.add_argument("--reuse", action="store_true", help="keep the scratch database from an earlier run")
    parser.add_argument("--work-dir", default="/tmp/careloop-load")
    args = parser.parse_args()

    import psycopg

    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    name = "careloop_load"
    base_url = args.database_url.rsplit("/", 1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARELOOP_", "PYTEST", "DJANGO_"))}
    env.pop("REDIS_URL", None)
    env.update({"DATABASE_URL": f"{base_url}/{name}", "CARELOOP_DATA_DIR": str(work / "data"),
                "CARELOOP_SECRET_KEY": "load-test-secret-" + "l" * 48, "CARELOOP_DEMO_PASSWORD": PASSWORD,
                "CARELOOP_LOG_LEVEL": "ERROR", "CARELOOP_LOGIN_RATE": "1000/min"})
    if not args.reuse:
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    # Always: a kept database may predate this tree's migrations (the server refuses to start on them).
    subprocess.run([*CARELOOP, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    if not args.reuse:
        started = time.monotonic()
        subprocess.run([*CARELOOP, "demo", "--clients", str(args.clients)], cwd=ROOT, env=env, check=True)
        print(f"data set: {args.clients:,} clients in {time.monotonic() - started:,.0f} s", flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    logs = (work / "server.log").open("w")
    web = subprocess.Popen([*CARELOOP, "serve", "--processes", str(args.processes), "--threads", str(args.threads)],
                           cwd=ROOT, env={**env, "PORT": str(port)}, stdout=logs, stderr=logs)
    worker = subprocess.Popen([*CARELOOP, "worker"], cwd=ROOT, env=env, stdout=logs, stderr=logs)
    stop = threading.Event()
    counts = {"imports_accepted": 0, "imports_other": 0, "imports_failed": 0}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise SystemExit(f"the server did not start; see {work / 'server.log'}") from None
                time.sleep(0.3)
        uploader = threading.Thread(target=clerk_uploads, args=(base, stop, args.import_every, counts), daemon=True)
        uploader.start()
        meter = CpuMeter(web.pid, args.database_url, name)
        meter.start()
        load_before = os.getloadavg()
        prefix = work / "locust"
        subprocess.run([sys.executable, "-m", "locust", "-f", str(ROOT / "bench/load/locustfile.py"), "--headless",
                        "-u", str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{int(args.minutes * 60)}s",
                        "--host", base, "--csv", str(prefix), "--only-summary"], cwd=ROOT,
                       env={**env, "LOAD_NURSES": "nurse,nurse2,nurse3,nurse4,nurse5,nurse6",
                            "LOAD_THINK": str(args.think)}, check=False)
        meter.stop.set()
        meter.join(timeout=30)
    finally:
        stop.set()
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    with (work / "locust_stats.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    print(f"\n{'request':34} {'count':>8} {'fail':>6} {'req/s':>8} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in rows:
        print(f"{row['Name'][:34]:34} {int(row['Request Count']):8,} {int(row['Failure Count']):6,} "
              f"{float(row['Requests/s']):8.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}")
    print(f"background imports: {counts}")
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total:
        count = int(total["Request Count"])
        web_s, db_s = meter.seconds("web"), meter.seconds("db")
        per = (web_s + db_s) / count if count else float("nan")
        cores = os.cpu_count() or 1
        print(f"load average before/after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} on {cores} cores")
        print(f"CPU: web processes {web_s:,.1f} s, PostgreSQL backends {db_s:,.1f} s for {count:,} requests "
              f"(+ {counts['imports_accepted']} background imports) = {per * 1000:.1f} ms CPU per request; "
              f"the machine to itself would serve ≈ {cores / per:,.0f} req/s (cores ÷ CPU per request)")


if __name__ == "__main__":
    main()
