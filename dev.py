#!/usr/bin/env python3
"""careloop's two set-up commands (README "Quick start"); needs only Python 3.11+ and the package registries.

    python3 dev.py serve   install, migrate, load the demo data once, run the worker and serve on :8000
    python3 dev.py test    install (with test tools), then run the whole test suite (extra args go to pytest)
    python3 dev.py lock [--upgrade]   re-resolve pyproject.toml into requirements/*.lock (pinned, with hashes)

Both set-up commands install exactly what requirements/base.lock (serve) or requirements/dev.lock (test)
pin, hashes checked. `dev.py lock` records a changed pyproject.toml (keeping every other pin);
`dev.py lock --upgrade` moves every pin to the newest allowed release.
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


LOCKS = ROOT / "requirements"


def lock_file(extras: str) -> Path:
    return LOCKS / ("dev.lock" if extras == "dev" else "base.lock")


def ensure_venv(extras: str) -> None:
    """Create .venv and install the pinned dependencies (hashes checked), then careloop itself (editable).

    Runs again only when the lock file or pyproject.toml changed since the last install.
    """
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
    lock = lock_file(extras)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + lock.read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".careloop-installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing careloop's pinned dependencies from {lock.relative_to(ROOT)} (a minute the first time)")
    run([str(BIN / "python"), "-m", "pip", "install", "-q", "--require-hashes", "-r", str(lock)])
    target = f".[{extras}]" if extras else "."
    run([str(BIN / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", target])
    stamp.write_text(digest)


def cmd_lock(args: list[str]) -> None:
    """Re-resolve pyproject.toml's dependencies into the lock files (the documented upgrade command)."""
    ensure_venv("dev")
    run([str(BIN / "python"), "-m", "pip", "install", "-q", "uv"])
    for extras, name in (("", "base.lock"), ("dev", "dev.lock")):
        command = [str(BIN / "uv"), "pip", "compile", "pyproject.toml", "requirements/build.in", "--universal",
                   "--python-version", "3.11", "--generate-hashes", "-q", "-o", f"requirements/{name}"]
        if extras:
            command += ["--extra", extras]
        if "--upgrade" in args:
            command.append("--upgrade")
        run(command)
    say("requirements/base.lock and requirements/dev.lock re-resolved; review the diff and run `python3 dev.py test`")


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
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test", "lock"}:
        sys.exit(__doc__)
    if sys.argv[1] == "serve":
        cmd_serve()
    elif sys.argv[1] == "lock":
        cmd_lock(sys.argv[2:])
    else:
        cmd_test(sys.argv[2:])


if __name__ == "__main__":
    main()
