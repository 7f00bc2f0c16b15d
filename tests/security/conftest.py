"""A real installation in a subprocess: fresh data dir, and on PostgreSQL a fresh database."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings


def run(args, env, check=True):
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def installation(tmp_path):
    env = {**os.environ, "CARELOOP_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "careloop.settings",
           "CARELOOP_LOG_LEVEL": "DEBUG"}
    env.pop("CARELOOP_KEYS", None)
    dbname = None
    if settings.IS_POSTGRES:
        import psycopg

        base = settings.DATABASES["default"]
        host, port, user = base["HOST"] or "127.0.0.1", base["PORT"] or 5432, base["USER"] or "postgres"
        dbname = f"careloop_inst_{uuid.uuid4().hex[:8]}"
        conninfo = f"host={host} port={port} user={user} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{dbname}"
    else:
        env.pop("DATABASE_URL", None)
    run([sys.executable, "-m", "careloop.cli", "migrate", "-v", "0"], env)
    yield env, tmp_path
    if dbname:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
