"""Field encryption (AES-256-GCM) and keyed hashes for exact search, with a rotatable key ring.

Keys never live in the database. They come from ``CARELOOP_KEYS`` (JSON, for deployments that
inject secrets) or from files in ``KEYS_DIR`` created on first use with mode 0600:

    enc-<kid>.key   32 random bytes, base64; one per generation of the encryption key
    active          the kid new values are encrypted with
    index.key       the key of the keyed hash (HMAC-SHA256) used for exact search

A ciphertext is ``c1:<kid>:<base64(nonce || ciphertext+tag)>`` and is bound to its field by the
associated data, so a value cannot be moved to another column unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "c1"


class KeyError_(Exception):
    """The key ring is missing a key or is malformed."""


@dataclass
class KeyRing:
    keys: dict[str, bytes]
    active: str
    index_key: bytes
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def aead(self, kid: str) -> AESGCM:
        if kid not in self._aead:
            try:
                self._aead[kid] = AESGCM(self.keys[kid])
            except KeyError:
                raise KeyError_(f"encryption key {kid!r} is not in the key ring") from None
        return self._aead[kid]


_lock = threading.Lock()
_ring: KeyRing | None = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _write_secret(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def _load_from_env(raw: str) -> KeyRing:
    try:
        data = json.loads(raw)
        keys = {kid: _unb64(value) for kid, value in data["keys"].items()}
        ring = KeyRing(keys=keys, active=data["active"], index_key=_unb64(data["index_key"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyError_(f"CARELOOP_KEYS is not valid key-ring JSON: {exc}") from None
    if ring.active not in ring.keys:
        raise KeyError_("CARELOOP_KEYS: the active key is not among the keys")
    return ring


def _load_from_dir(directory: Path) -> KeyRing:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    index_path = directory / "index.key"
    active_path = directory / "active"
    if not active_path.exists():
        kid = "k1"
        try:
            _write_secret(directory / f"enc-{kid}.key", _b64(secrets.token_bytes(32)))
            if not index_path.exists():
                _write_secret(index_path, _b64(secrets.token_bytes(32)))
            _write_secret(active_path, kid)
        except FileExistsError:  # another process created them at the same moment
            pass
    keys = {
        path.name[4:-4]: _unb64(path.read_text().strip()) for path in sorted(directory.glob("enc-*.key"))
    }
    active = active_path.read_text().strip()
    if active not in keys:
        raise KeyError_(f"{active_path}: active key {active!r} has no enc-{active}.key file")
    return KeyRing(keys=keys, active=active, index_key=_unb64(index_path.read_text().strip()))


def keyring() -> KeyRing:
    global _ring
    if _ring is None:
        with _lock:
            if _ring is None:
                raw = os.environ.get("CARELOOP_KEYS", "")
                _ring = _load_from_env(raw) if raw else _load_from_dir(Path(settings.KEYS_DIR))
    return _ring


def reset_keyring() -> None:
    """Forget the cached key ring (after rotation, and in tests)."""
    global _ring
    with _lock:
        _ring = None


def rotate_key() -> str:
    """Create a new encryption key in KEYS_DIR and make it the active one; return its id."""
    if os.environ.get("CARELOOP_KEYS"):
        raise KeyError_("keys come from CARELOOP_KEYS; rotate them where that secret is kept")
    directory = Path(settings.KEYS_DIR)
    ring = keyring()
    numbers = [int(kid[1:]) for kid in ring.keys if kid[1:].isdigit()]
    kid = f"k{max(numbers, default=0) + 1}"
    _write_secret(directory / f"enc-{kid}.key", _b64(secrets.token_bytes(32)))
    tmp = directory / "active.tmp"
    tmp.write_text(kid)
    tmp.chmod(0o600)
    tmp.replace(directory / "active")
    reset_keyring()
    return kid


def encrypt(plaintext: str, *, context: str) -> str:
    ring = keyring()
    nonce = secrets.token_bytes(12)
    sealed = ring.aead(ring.active).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{PREFIX}:{ring.active}:{_b64(nonce + sealed)}"


def decrypt(token: str, *, context: str) -> str:
    try:
        prefix, kid, body = token.split(":", 2)
    except ValueError:
        raise KeyError_("value is not a careloop ciphertext") from None
    if prefix != PREFIX:
        raise KeyError_("value is not a careloop ciphertext")
    raw = _unb64(body)
    plain = keyring().aead(kid).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
    return plain.decode("utf-8")


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


def blind_index(value: str, *, context: str) -> str:
    """Keyed hash for exact-match search; equal inputs give equal outputs, nothing else leaks."""
    mac = hmac.new(keyring().index_key, f"{context}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()
