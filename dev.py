#!/usr/bin/env python3
"""careloop's two set-up commands (README "Quick start"); needs only Python 3.11+ and the package registries.

    python3 dev.py serve   install, migrate, load the demo data once, run the worker and serve on :8000
    python3 dev.py test    install (with test tools), then run the whole test suite (extra args go to pytest)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("CARELOOP_VENV", ROOT / ".venv"))
BIN = VENV / "bin"
CHROMIUM = Path("/usr/bin/chromium")


def say(message: str) -> None:
    print(f"[careloop] {message}", flush=True)


def run(args: list[str], **kwargs: object) -> None:
    result = subprocess.run(args, cwd=ROOT, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_python() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"careloop needs Python 3.11 or newer; this is {sys.version.split()[0]}")


def ensure_venv(extras: str) -> None:
    """Create .venv and install careloop (editable) when pyproject.toml changed since the last install."""
    ensure_python()
    if not (BIN / "python").exists():
        say(f"creating the virtual environment in {VENV}")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (subprocess.CalledProcessError, OSError):
            if shutil.which("apt-get") and os.geteuid() == 0:
                say("installing python3-venv (Debian's Python ships without ensurepip)")
                run(["apt-get", "install", "-y", "-qq", "python3-venv"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
                venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
            else:
                sys.exit("Could not create a virtual environment: install python3-venv (Debian/Ubuntu) and try again.")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".careloop-installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("installing careloop and its dependencies (this takes a minute the first time)")
    run([str(BIN / "python"), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    target = f".[{extras}]" if extras else "."
    run([str(BIN / "python"), "-m", "pip", "install", "-q", "-e", target])
    stamp.write_text(digest)


def ensure_browser() -> None:
    """Browser tests drive Debian's Chromium; install it when we may (root with apt), else they are skipped."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        run(["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"], env=env)
    else:
        say("Chromium is not installed and cannot be installed here (needs root and apt): browser tests will be skipped")


def careloop(*args: str) -> list[str]:
    return [str(BIN / "careloop"), *args]


def cmd_serve() -> None:
    ensure_venv("")
    os.environ.setdefault("CARELOOP_DATA_DIR", str(ROOT / "var"))
    run(careloop("migrate", "--noinput", "-v", "0"))
    run(careloop("demo"))
    worker = None
    if os.environ.get("CARELOOP_NO_WORKER") != "1":
        worker = subprocess.Popen(careloop("worker"), cwd=ROOT)
    try:
        run(careloop("serve"))
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)


def cmd_test(args: list[str]) -> None:
    ensure_venv("dev")
    ensure_browser()
    workers = os.environ.get("CARELOOP_TEST_WORKERS", "2")
    pytest_args = [str(BIN / "python"), "-m", "pytest", "-q", "-p", "xdist", "-n", workers, *args]
    result = subprocess.run(pytest_args, cwd=ROOT, check=False)
    sys.exit(result.returncode)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test"}:
        sys.exit(__doc__)
    if sys.argv[1] == "serve":
        cmd_serve()
    else:
        cmd_test(sys.argv[2:])


if __name__ == "__main__":
    main()
