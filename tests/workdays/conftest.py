import pytest

from careloop.workdays.calendar import clear_cache


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    """Calendar rows are cached per process; each test starts from its own database."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def package_knows_up_to_2026(monkeypatch):
    """These tests describe a package that ships data up to 2026; a newer chinese-calendar must not change them."""
    import chinese_calendar

    real = chinese_calendar.is_workday

    def is_workday(day):
        if day.year > 2026:
            raise NotImplementedError(f"no available data for year {day.year}")
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", is_workday)
