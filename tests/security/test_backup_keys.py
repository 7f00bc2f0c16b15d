"""SEC-6 backups with a tested restore, and SEC-3 key rotation, on a real installation."""

import sys

from tests.security.conftest import run

MAKE = """
import django; django.setup()
from careloop.org.models import Role, RoleGrant, User, UnitKind
from careloop.org.services import orgunit_create_raw
from careloop.clients.services import client_create
hq = orgunit_create_raw(name="总公司", kind=UnitKind.HQ, parent=None, code="hq")
u = User.objects.create_user("clerk", password="x-very-long-password-1", org_unit=hq)
RoleGrant.objects.create(user=u, role=Role.CLERK)
for i, phone in enumerate(["13800000001", "13800000002"]):
    client_create(acting_user=u, data={"name": f"客户{i}", "sex": "male", "birth_date": "1980-01-01", "phone": phone, "branch": hq})
"""
CHANGE = """
import django; django.setup()
from careloop.clients.models import Client
from careloop.audit.services import audit_record
Client.objects.filter(name="客户1").delete()
audit_record(actor=None, action="test.after_backup")
"""
COUNT = """
import django; django.setup()
from careloop.clients.models import Client
from careloop.audit.models import AuditEvent
print(sorted(Client.objects.values_list("name", "phone")), AuditEvent.objects.count())
"""


def py(code, env):
    return run([sys.executable, "-c", code], env).stdout.strip()


def cli(env, *args, check=True):
    return run([sys.executable, "-m", "careloop.cli", *args], env, check=check)


def test_backup_then_restore_brings_back_data_and_a_verifiable_trail(installation):
    env, _data_dir = installation
    py(MAKE, env)
    before = py(COUNT, env)
    assert before == "[('客户0', '13800000001'), ('客户1', '13800000002')] 2"
    cli(env, "backup")
    py(CHANGE, env)
    assert py(COUNT, env) == "[('客户0', '13800000001')] 3"
    assert cli(env, "audit", "verify").returncode == 0
    restored = cli(env, "restore", "--yes")
    assert "audit trail intact: 2 rows" in restored.stdout
    assert py(COUNT, env) == before
    assert cli(env, "audit", "verify").returncode == 0


def test_restore_refuses_a_damaged_backup(installation):
    env, data_dir = installation
    py(MAKE, env)
    cli(env, "backup")
    backup = next(p for p in (data_dir / "backups").iterdir() if not p.name.endswith(".json"))
    blob = bytearray(backup.read_bytes())
    blob[-10] ^= 0xFF
    backup.write_bytes(bytes(blob))
    result = cli(env, "restore", "--yes", check=False)
    assert result.returncode != 0 and "checksum does not match" in result.stderr


def test_key_rotation_and_reencryption(installation):
    env, data_dir = installation
    py(MAKE, env)
    assert "new active key k2" in cli(env, "keys", "rotate").stdout
    status = cli(env, "keys", "status").stdout
    assert "clients_client.phone: 2 values not under the active key k2" in status
    assert "clients_client.phone: re-encrypted 2 values" in cli(env, "keys", "reencrypt").stdout
    assert "clients_client.phone: 0 values not under the active key k2" in cli(env, "keys", "status").stdout
    assert py(COUNT, env) == "[('客户0', '13800000001'), ('客户1', '13800000002')] 2"
    # the old key is no longer needed: archive it and everything still reads
    (data_dir / "keys" / "enc-k1.key").rename(data_dir / "enc-k1.key.archived")
    assert py(COUNT, env) == "[('客户0', '13800000001'), ('客户1', '13800000002')] 2"


def test_restore_drill_checks_a_scratch_copy_and_leaves_the_live_database_alone(installation):
    env, _data_dir = installation
    py(MAKE, env)
    cli(env, "backup")
    py(CHANGE, env)  # the live database moves on after the backup
    drill = cli(env, "restore", "--drill")
    assert "restore drill passed" in drill.stdout
    assert "audit trail intact: 2 rows" in drill.stdout
    assert "RPO" in drill.stdout and "RTO" in drill.stdout
    assert py(COUNT, env) == "[('客户0', '13800000001')] 3"  # untouched


def test_restore_drill_fails_when_the_copy_differs_from_its_manifest(installation):
    import json

    env, data_dir = installation
    py(MAKE, env)
    cli(env, "backup")
    manifest = next(p for p in (data_dir / "backups").iterdir() if p.name.endswith(".json"))
    data = json.loads(manifest.read_text())
    data["rows"]["clients_client"] += 1  # as if a row had been lost between the dump and the restore
    manifest.write_text(json.dumps(data))
    drill = cli(env, "restore", "--drill", check=False)
    assert drill.returncode != 0
    assert "clients_client: 2 rows restored, 3 in the manifest" in drill.stderr
