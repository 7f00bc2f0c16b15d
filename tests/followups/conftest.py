import pytest

from careloop.workdays.calendar import clear_cache


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    """Calendar rows are cached per process; each test starts from its own database."""
    clear_cache()
    yield
    clear_cache()



@pytest.fixture(autouse=True)
def long_history_grace(settings):
    """The older tests plan encounters on fixed dates in late 2026 whatever today is: no occurrence is
    skipped as historical for them. Tests of the grace period set their own value and freeze time."""
    settings.CARELOOP_FU_HISTORY_GRACE_DAYS = 3650
