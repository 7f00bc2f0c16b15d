"""Crash and throughput bench for the message outbox (issue 3). Run from the repository root:

    /work/main/.venv/bin/python bench/messaging_crash.py            # full scale (10,000 messages, 50 kills)
    /work/main/.venv/bin/python bench/messaging_crash.py --messages 2000 --kills 10   # quicker

PostgreSQL runs need BENCH_DATABASE_URL (default postgres://127.0.0.1:5432/careloop_bench_messaging — a
scratch database that is dropped and created). Each scenario is one run of tests.support.crashtest
in its own process; results are printed and saved as JSON next to the docs (var/bench-messaging.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The workers are restarted all through a run: they run from a snapshot of the code so that editing the
# working tree meanwhile cannot change what is measured.
SNAPSHOT = Path(os.environ.get("BENCH_SNAPSHOT", "/tmp/careloop-bench-messaging-src"))
PG = os.environ.get("BENCH_DATABASE_URL", "postgres://127.0.0.1:5432/careloop_bench_messaging")


def harness(*args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CARELOOP_TEST_DB_NAME"}}
    env["PYTHONPATH"] = str(SNAPSHOT)
    command = [sys.executable, "-m", "tests.support.crashtest", "--json", *args]
    print("$", " ".join(command[2:]), flush=True)
    done = subprocess.run(command, cwd=SNAPSHOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stderr[-4000:], file=sys.stderr)
        raise SystemExit(done.returncode)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--throughput", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--only", choices=["crash", "throughput"], default=None)
    args = parser.parse_args()
    if SNAPSHOT.exists():
        shutil.rmtree(SNAPSHOT)
    shutil.copytree(REPO / "careloop", SNAPSHOT / "careloop", ignore=shutil.ignore_patterns("__pycache__"))
    (SNAPSHOT / "tests").mkdir()
    (SNAPSHOT / "tests" / "__init__.py").touch()
    shutil.copytree(REPO / "tests" / "support", SNAPSHOT / "tests" / "support",
                    ignore=shutil.ignore_patterns("__pycache__"))
    common = ["--clients", str(args.clients), "--temporary", "0.05", "--permanent", "0.005"]
    # 30 ms per send at the gateway and 4 send threads keep a 10,000-message run long enough for 50 kills
    # on a loaded 2-core machine (a restarted worker needs ~3 s to start).
    crash = ["--messages", str(args.messages), "--kills", str(args.kills), "--kill-interval", "0.6",
             "--latency", "0.03", "--threads", "4", "--chunk", "8", "--throughput", "0", "--timeout", "1500"]
    results: dict[str, dict] = {}
    if args.only in (None, "crash"):
        results["sqlite_1_worker"] = harness(*common, *crash, "--workers", "1")
        results["postgresql_2_workers"] = harness(*common, *crash, "--workers", "2", "--database-url", PG)
        results["postgresql_2_workers_no_receipts"] = harness(*common, *crash, "--workers", "2", "--database-url", PG,
                                                              "--no-receipts")
        # One send in flight per worker: a kill can interrupt at most one send.
        results["postgresql_2_workers_no_receipts_chunk_1"] = harness(
            *common, *crash, "--workers", "2", "--database-url", PG, "--no-receipts", "--threads", "1", "--chunk", "1")
    if args.only in (None, "throughput"):
        tp = ["--messages", "0", "--throughput", str(args.throughput), "--workers", "2", "--chunk", "50"]
        results["throughput_sqlite"] = harness(*common, *tp)
        results["throughput_postgresql"] = harness(*common, *tp, "--database-url", PG)
    out = REPO / "var" / "bench-messaging.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print("\nscenario                          lost dup dead/injected kills in-send  seconds")
    for name, result in results.items():
        row = result.get("crash")
        if row:
            print(f"{name:32} {row['lost']:5} {row['duplicated']:3} {row['dead']:4}/{row['injected_permanent']:<8} "
                  f"{row['kills']:5} {row['kills_in_send']:7} {row['seconds']:8}")
    for name, result in results.items():
        for row in result.get("throughput") or []:
            print(f"{name} workers={row['workers']}: {row['per_second']} msg/s, "
                  f"{row['ratio_to_bare_loop']:.0%} of the bare loop ({result['bare_loop']['per_second']} msg/s)")


if __name__ == "__main__":
    main()
