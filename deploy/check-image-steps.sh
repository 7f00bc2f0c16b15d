#!/usr/bin/env bash
# Check the container image's steps on a machine without a container engine (issue 18 item 7).
#
# Runs what the Dockerfile's build stage runs (a fresh virtual environment, the lock file with hashes,
# then careloop itself) and then what deploy/compose.yaml runs, with the image's and compose's environment:
# migrate, serve (gunicorn) and worker on PostgreSQL and Redis, the image's HEALTHCHECK command, the worker's
# health check, the demo data, the audit trail, a backup and the restore drill. It does not run apt-get,
# check the non-root user's permissions inside the image, or compose's networking: those need an engine.
#
#   deploy/check-image-steps.sh            # needs PostgreSQL on 127.0.0.1:5432 (trust) and Redis on :6379
#
# Everything it makes lives in a temporary folder and a scratch database `careloop_image_check`, both
# removed at the end. Exit status 0 when every step passed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PG="${CHECK_PG:-postgres://127.0.0.1:5432}"
DB=careloop_image_check
WORK="$(mktemp -d)"
PORT="${CHECK_PORT:-18765}"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "== $*"; }

step "build stage: pip install --require-hashes -r requirements/base.lock, then careloop (Dockerfile)"
mkdir -p "$WORK/src"
cp -r "$ROOT/requirements" "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/careloop" "$WORK/src/"
python3 -m venv "$WORK/opt"
(cd "$WORK/src" && PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
  "$WORK/opt/bin/pip" install -q --require-hashes -r requirements/base.lock 2>&1 | grep -v "^WARNING: Location" || true)
(cd "$WORK/src" && "$WORK/opt/bin/pip" install -q --no-deps --no-build-isolation . 2>&1 | grep -v "^WARNING: Location" || true)
"$WORK/opt/bin/python" -m compileall -q "$WORK/opt" >/dev/null
"$WORK/opt/bin/careloop" --version >/dev/null

psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
mkdir -p "$WORK/var/data" "$WORK/var/backups" "$WORK/var/uploads"
install -d -m 0700 "$WORK/keys"
# The image's ENV, then compose's environment and careloop.env.example filled in.
export PATH="$WORK/opt/bin:$PATH" PYTHONUNBUFFERED=1 CARELOOP_PRODUCTION=1 \
  CARELOOP_DATA_DIR="$WORK/var/data" CARELOOP_BACKUP_DIR="$WORK/var/backups" HOST=127.0.0.1 PORT="$PORT" \
  CARELOOP_WEB_PROCESSES=3 CARELOOP_THREADS=4 \
  REDIS_URL="${CHECK_REDIS:-redis://127.0.0.1:6379/7}" CARELOOP_KEYS_DIR="$WORK/keys" \
  CARELOOP_MEDIA_DIR="$WORK/var/uploads" \
  CARELOOP_SECRET_KEY="image-check-$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
  CARELOOP_ALLOWED_HOSTS=127.0.0.1 CARELOOP_CSRF_TRUSTED_ORIGINS=https://127.0.0.1 \
  DATABASE_URL="$PG/$DB" CARELOOP_BACKUP_KEEP=14 CARELOOP_DEMO_PASSWORD="image-check-demo-2026"
unset CARELOOP_KEYS
cd "$WORK/var"

step "migrate (compose service 'migrate')"
careloop migrate --noinput -v 0
step "demo data"
careloop demo >/dev/null

step "web and worker (compose services 'web' and 'worker')"
careloop serve >"$WORK/serve.log" 2>&1 & pids+=($!)
careloop worker >"$WORK/worker.log" 2>&1 & pids+=($!)
healthcheck() {  # the Dockerfile's HEALTHCHECK command, with this run's port
  python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=4).status == 200 else 1)"
}
for i in $(seq 1 120); do
  if healthcheck 2>/dev/null; then echo "HEALTHCHECK passes after ${i} tries"; break; fi
  if [ "$i" = 120 ]; then echo "HEALTHCHECK never passed"; tail -20 "$WORK/serve.log"; exit 1; fi
  sleep 1
done
python - "$PORT" <<'PY'
import sys, urllib.request
port = sys.argv[1]
for path in ("/readyz", "/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        assert r.status == 200, (path, r.status)
        print(f"{path} {r.status}")
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
try:
    urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
    raise SystemExit("the login page answered plain HTTP in production")
except urllib.error.HTTPError as e:
    assert e.code == 301 and e.headers["Location"].startswith("https://"), e.code
    print("/accounts/login/ 301 to https (production)")
PY
step "worker health check (compose)"
careloop check --database default
step "audit trail, backup and restore drill (as run in the worker container)"
careloop audit verify
careloop backup
careloop restore --drill
ls "$WORK/keys" | grep -q audit-checkpoint.json && echo "audit checkpoint written beside the keys"
if grep -E "Traceback|ERROR" "$WORK/serve.log" "$WORK/worker.log"; then echo "errors in the logs"; exit 1; fi
step "all steps passed"
