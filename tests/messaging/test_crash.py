"""The crash test, small: real worker processes SIGKILLed at random against the local fake gateway.

The large run is bench/messaging_crash.py; both drive tests.support.crashtest.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_harness(tmp_path: Path, *extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CARELOOP_TEST_DB_NAME"}}
    command = [sys.executable, "-m", "tests.support.crashtest", "--data-dir", str(tmp_path), "--json",
               "--clients", "20", "--temporary", "0.1", "--permanent", "0.03", "--kill-interval", "0.5",
               "--lease", "1", "--grace", "2", *extra]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["crash"]


@pytest.mark.slow
def test_sigkilled_workers_lose_nothing_and_with_receipts_send_nothing_twice(tmp_path):
    result = run_harness(tmp_path, "--messages", "250", "--kills", "3", "--threads", "4", "--chunk", "8")
    assert result["settled"] is True
    assert result["kills"] >= 1
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert result["dead_equals_injected"] is True
    assert result["dead"] == result["injected_permanent"] > 0
    assert result["temporary_failures"] > 0


@pytest.mark.slow
def test_without_receipts_duplicates_never_exceed_the_sends_a_kill_interrupted(tmp_path):
    result = run_harness(tmp_path, "--messages", "250", "--kills", "3", "--threads", "1", "--chunk", "1",
                         "--no-receipts")
    assert result["settled"] is True
    assert result["lost"] == 0
    assert result["dead_equals_injected"] is True
    assert result["duplicated"] <= result["kills_in_send"] <= result["kills"]
    assert result["duplicated_not_flagged"] == 0
