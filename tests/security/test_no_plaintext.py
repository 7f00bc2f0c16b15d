"""SEC-3: no plaintext phone or ID number in the database file, a dump, a backup or the logs.

Runs a real installation in a subprocess (fresh data dir; on PostgreSQL a fresh database) because the
test database of the suite lives in memory or inside a transaction.
"""

import subprocess
import sys

from tests.security.conftest import run as _run

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
SCRIPT = f"""
import logging, django
django.setup()
from django.db import connection
connection.force_debug_cursor = True
logging.getLogger("django.db.backends").setLevel(logging.DEBUG)
from careloop.org.models import Role, RoleGrant, User, UnitKind
from careloop.org.services import orgunit_create_raw
from careloop.clients.services import client_create, client_reveal_contact, consent_record
hq = orgunit_create_raw(name="总公司", kind=UnitKind.HQ, parent=None, code="hq")
clerk = User.objects.create_user("clerk", password="x-very-long-password-1", org_unit=hq)
RoleGrant.objects.create(user=clerk, role=Role.CLERK)
c = client_create(acting_user=clerk, data={{"name": "王秀英", "sex": "female", "birth_date": "1949-12-31",
    "id_number": "{ID_NUMBER}", "phone": "{PHONE}", "address": "北京市朝阳区建国路88号", "branch": hq}})
client_reveal_contact(acting_user=clerk, client=c, field="phone", reason="call")
logging.getLogger("careloop").info("called %s about %s", "{PHONE}", "{ID_NUMBER}")
print("CREATED", c.pk)
"""


def _assert_clean(blob: bytes, where: str):
    for secret in (PHONE, ID_NUMBER, "建国路88号"):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in blob, f"{secret} found in {where} ({encoding})"


def test_no_plaintext_anywhere(installation):
    env, data_dir = installation
    created = _run([sys.executable, "-c", SCRIPT], env)
    assert "CREATED" in created.stdout
    _assert_clean((created.stdout + created.stderr).encode(), "the logs")
    assert "called 138******** about 110***************" in created.stderr  # redacted, not dropped
    assert "INSERT INTO" in created.stderr  # SQL logging really ran, with ciphertext parameters
    backup = _run([sys.executable, "-m", "careloop.cli", "backup"], env)
    backups = list((data_dir / "backups").glob("careloop-*"))
    assert len([b for b in backups if not b.name.endswith(".json")]) == 1, backup.stdout
    for path in backups:
        _assert_clean(path.read_bytes(), f"backup {path.name}")
    if "DATABASE_URL" in env:
        url = env["DATABASE_URL"]
        dump = subprocess.run(["pg_dump", url], capture_output=True, check=True).stdout
        _assert_clean(dump, "pg_dump")
    else:
        for path in data_dir.glob("careloop.sqlite3*"):
            _assert_clean(path.read_bytes(), path.name)
        import sqlite3

        conn = sqlite3.connect(data_dir / "careloop.sqlite3")
        _assert_clean("\n".join(conn.iterdump()).encode(), "sqlite dump")
        conn.close()
    # and the keys are not next to the data in the backup
    assert not any("key" in p.name for p in backups)
