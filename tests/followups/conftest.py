import pytest

from careloop.workdays.calendar import clear_cache


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    """Calendar rows are cached per process; each test starts from its own database."""
    clear_cache()
    yield
    clear_cache()

