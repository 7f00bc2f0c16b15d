import json

import pytest
from cryptography.exceptions import InvalidTag

from careloop.lib import crypto


@pytest.fixture
def ring(tmp_path, settings):
    settings.KEYS_DIR = tmp_path / "keys"
    crypto.reset_keyring()
    yield tmp_path / "keys"
    crypto.reset_keyring()


def test_round_trip_and_fresh_nonce(ring):
    a = crypto.encrypt("13812341234", context="client.phone")
    b = crypto.encrypt("13812341234", context="client.phone")
    assert a != b and "13812341234" not in a
    assert crypto.decrypt(a, context="client.phone") == "13812341234"


def test_ciphertext_is_bound_to_its_field(ring):
    token = crypto.encrypt("13812341234", context="client.phone")
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, context="client.id_number")


def test_keys_are_files_with_private_mode(ring):
    crypto.encrypt("x", context="t")
    assert sorted(p.name for p in ring.iterdir()) == ["active", "enc-k1.key", "index.key"]
    assert all((p.stat().st_mode & 0o077) == 0 for p in ring.iterdir())


def test_rotation_keeps_old_values_readable(ring):
    old = crypto.encrypt("secret", context="t")
    assert crypto.rotate_key() == "k2"
    new = crypto.encrypt("secret", context="t")
    assert crypto.key_id_of(old) == "k1" and crypto.key_id_of(new) == "k2"
    assert crypto.decrypt(old, context="t") == crypto.decrypt(new, context="t") == "secret"


def test_blind_index_is_stable_and_keyed(ring, tmp_path, settings):
    first = crypto.blind_index("13812341234", context="phone")
    assert first == crypto.blind_index("13812341234", context="phone")
    settings.KEYS_DIR = tmp_path / "other"
    crypto.reset_keyring()
    assert crypto.blind_index("13812341234", context="phone") != first


def test_key_ring_from_environment(monkeypatch):
    monkeypatch.setenv("CARELOOP_KEYS", json.dumps({"active": "a", "keys": {"a": "A" * 43 + "="}, "index_key": "B" * 43 + "="}))
    crypto.reset_keyring()
    try:
        token = crypto.encrypt("v", context="t")
        assert token.startswith("c1:a:")
        with pytest.raises(crypto.KeyError_):
            crypto.rotate_key()
    finally:
        monkeypatch.delenv("CARELOOP_KEYS")
        crypto.reset_keyring()
