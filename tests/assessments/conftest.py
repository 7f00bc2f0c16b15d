"""The engine tests need only translation machinery; when pytest runs without the Django plugin
(`-p no:django`), configure a minimal settings object so they still run."""

from django.conf import settings

if not settings.configured:  # pragma: no cover - only without pytest-django
    settings.configure(USE_I18N=True, LANGUAGE_CODE="zh-hans")
    import django

    django.setup()
