"""Test environment: set before Django's settings are imported."""

import os
import tempfile

os.environ["CARELOOP_TESTING"] = "1"
os.environ.setdefault("CARELOOP_DATA_DIR", tempfile.mkdtemp(prefix="careloop-test-"))
os.environ.pop("CARELOOP_KEYS", None)


import pytest


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path_factory, settings):
    """Each test gets its own key ring and audit checkpoint."""
    from careloop.lib import crypto

    settings.KEYS_DIR = tmp_path_factory.mktemp("keys")
    crypto.reset_keyring()
    yield
    crypto.reset_keyring()
