"""Test-wide fixtures. (careloop.settings detects pytest itself: temporary data dir, eager Huey.)"""

import datetime as dt
import os

import pytest

# CI runs the suite a second time with the clock moved ahead (.ci/run): a test that depends on the
# real date instead of freezing it fails there before the calendar makes it fail for everyone.
CLOCK_SHIFT_DAYS = int(os.environ.get("CARELOOP_TEST_CLOCK_SHIFT_DAYS") or 0)
_traveller = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    global _traveller
    if CLOCK_SHIFT_DAYS:
        import time_machine

        _traveller = time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=CLOCK_SHIFT_DAYS), tick=True)
        _traveller.start()


def pytest_unconfigure(config):
    if _traveller is not None:
        _traveller.stop()


def pytest_report_header(config):
    if CLOCK_SHIFT_DAYS:
        return f"careloop: the clock is moved {CLOCK_SHIFT_DAYS} days ahead (CARELOOP_TEST_CLOCK_SHIFT_DAYS)"
    return None


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path_factory, settings):
    """Each test gets its own key ring and audit checkpoint."""
    from careloop.lib import crypto

    settings.KEYS_DIR = tmp_path_factory.mktemp("keys")
    crypto.reset_keyring()
    yield
    crypto.reset_keyring()
