"""Test-wide fixtures. (careloop.settings detects pytest itself: temporary data dir, eager Huey.)"""

import pytest


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path_factory, settings):
    """Each test gets its own key ring and audit checkpoint."""
    from careloop.lib import crypto

    settings.KEYS_DIR = tmp_path_factory.mktemp("keys")
    crypto.reset_keyring()
    yield
    crypto.reset_keyring()
