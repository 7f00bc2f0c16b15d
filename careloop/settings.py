"""careloop settings: one module, driven by the environment (see README "Configuration")."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path

import dj_database_url

from careloop.lib.envsettings import (
    SettingError,
    env_bool,
    env_int,
    env_int_list,
    env_json,
    env_list,
    env_path,
    env_str,
    env_time,
)

BASE_DIR = Path(__file__).resolve().parent
# Under pytest the settings are imported before any conftest runs, so detect it here.
TESTING = env_bool("CARELOOP_TESTING", False) or "pytest" in sys.modules
if TESTING and not os.environ.get("CARELOOP_DATA_DIR"):
    os.environ["CARELOOP_DATA_DIR"] = tempfile.mkdtemp(prefix="careloop-test-")
DATA_DIR = env_path("CARELOOP_DATA_DIR", "./var")
# Everything careloop writes (database, queue, outbox, uploads, backups, keys) is for its own account only:
# files 0600, directories 0700 (issue 10, finding 8).
os.umask(0o077)
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
DATA_DIR.chmod(0o700)

DEBUG = env_bool("CARELOOP_DEBUG", False)
PRODUCTION = env_bool("CARELOOP_PRODUCTION", False)


def _secret_key() -> str:
    """The signing key: from the environment, else generated once into the data dir."""
    value = env_str("CARELOOP_SECRET_KEY")
    if value:
        return value
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("CARELOOP_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CARELOOP_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "huey.contrib.djhuey",
    "careloop.core",
    "careloop.ops",
    "careloop.org",
    "careloop.accounts",
    "careloop.audit",
    "careloop.clients",
    "careloop.workdays",
    "careloop.messaging",
    "careloop.followups",
    "careloop.checkups",
    "careloop.quality",
    "careloop.assessments",
    "careloop.chronic",  # before plans: its personal health plan is the "current plan" of the preparation view
    "careloop.plans",
    "careloop.crm",
    "careloop.servicedesk",
    "careloop.stats",
    "careloop.fhir",
]

MIDDLEWARE = [
    "careloop.ops.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "careloop.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "careloop.accounts.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careloop.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "careloop.urls"
WSGI_APPLICATION = "careloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "careloop.ops.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CARELOOP_DB_CONN_MAX_AGE", 60))
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "careloop.sqlite3"),
        "OPTIONS": {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
        },
    }
_test_name = env_str("CARELOOP_TEST_DB_NAME")
if _test_name:
    _db.setdefault("TEST", {})["NAME"] = _test_name
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_MIN_LENGTH = env_int("CARELOOP_PASSWORD_MIN_LENGTH", 12, minimum=8, maximum=128)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_FAILURE_LIMIT = env_int("CARELOOP_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("CARELOOP_LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1)
LOGIN_LOCK_MINUTES = env_int("CARELOOP_LOGIN_LOCK_MINUTES", 30, minimum=1)
LOGIN_IP_FAILURE_LIMIT = env_int("CARELOOP_LOGIN_IP_FAILURE_LIMIT", 20, minimum=1)
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed; nobody else's is (SEC-5).
TRUSTED_PROXIES = env_list("CARELOOP_TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise SettingError(f"CARELOOP_TRUSTED_PROXIES: {_proxy!r} is not an address or network") from None
SESSION_IDLE_MINUTES = env_int("CARELOOP_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Security headers -----------------------------------------------------------------------
TLS = env_bool("CARELOOP_TLS", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health probes (the image's HEALTHCHECK, a load balancer, Prometheus) speak plain HTTP to the process itself,
# behind the TLS proxy: redirecting them to https would mark a healthy container unhealthy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if TLS:
    SECURE_SSL_REDIRECT = env_bool("CARELOOP_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("CARELOOP_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CARELOOP_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Uploaded files (result imports). Several web machines and workers must share this folder (a shared volume).
MEDIA_ROOT = env_path("CARELOOP_MEDIA_DIR", str(DATA_DIR / "uploads"))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# An uploaded results file is deleted once imported; one whose import failed after this many hours.
UPLOAD_FAILED_KEEP_HOURS = env_int("CARELOOP_UPLOAD_FAILED_KEEP_HOURS", 72, minimum=1, maximum=24 * 90)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Privacy --------------------------------------------------------------------------------
KEYS_DIR = env_path("CARELOOP_KEYS_DIR", str(DATA_DIR / "keys"))
# Staff quality (careloop.quality): block client records for staff without a current signed
# confidentiality agreement (seed 000 §7.1); retraining tasks are due this many days after a failed score.
CARELOOP_REQUIRE_CONFIDENTIALITY = env_bool("CARELOOP_REQUIRE_CONFIDENTIALITY", False)
CARELOOP_QUALITY_RETRAINING_DAYS = env_int("CARELOOP_QUALITY_RETRAINING_DAYS", 30, minimum=1, maximum=365)
# CARELOOP_KEYS may carry the key ring instead of files (see docs/security.md).
AUDIT_RETENTION_DAYS = env_int("CARELOOP_AUDIT_RETENTION_DAYS", 3650, minimum=180)
# Audit rows are chained after commit by the worker's sealer, every AUDIT_SEAL_SECONDS; `careloop audit verify`
# fails when a row has waited longer than AUDIT_UNSEALED_MAX_SECONDS (the sealer is down, or a transaction that
# wrote audit rows has been open that long: a very large import holds the rows written after it).
AUDIT_SEAL_SECONDS = env_int("CARELOOP_AUDIT_SEAL_SECONDS", 5, minimum=1, maximum=60)
AUDIT_UNSEALED_MAX_SECONDS = env_int("CARELOOP_AUDIT_UNSEALED_MAX_SECONDS", 900, minimum=10)
BACKUP_DIR = env_path("CARELOOP_BACKUP_DIR", str(DATA_DIR / "backups"))
# Scheduled backups (the worker's periodic job): local time of day, how many to keep, and the age past
# which an alert is raised for the administrators (docs/operations.md).
BACKUP_TIME = env_str("CARELOOP_BACKUP_TIME", "02:30")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", BACKUP_TIME):
    raise SettingError(f"CARELOOP_BACKUP_TIME={BACKUP_TIME!r}: expected a local time HH:MM, e.g. 02:30")
BACKUP_KEEP = env_int("CARELOOP_BACKUP_KEEP", 14, minimum=1)
BACKUP_MAX_AGE_HOURS = env_int("CARELOOP_BACKUP_MAX_AGE_HOURS", 24, minimum=1)

# --- Operators: /metrics and /readyz ---------------------------------------------------------
# Addresses (CIDR) that may read /metrics without signing in; loopback always may.
METRICS_ALLOWED_NETWORKS = env_list("CARELOOP_METRICS_ALLOWED_NETWORKS", [])
# Readiness reports "degraded" when the oldest due message has waited longer than this.
READY_OUTBOX_LAG_SECONDS = env_int("CARELOOP_READY_OUTBOX_LAG_SECONDS", 600, minimum=1)

# --- Follow-up (careloop.followups.policy reads these) ---------------------------------------
# A planned follow-up already past by more than this many days when its encounter is recorded
# (a historical import) is skipped, not created as an overdue call.
CARELOOP_FU_HISTORY_GRACE_DAYS = env_int("CARELOOP_FU_HISTORY_GRACE_DAYS", 14, minimum=0, maximum=3650)
# FU-12 call ladder: next try after no answer / busy, and how many such tries before the notice SMS.
CARELOOP_FU_NO_ANSWER_RETRY_MINUTES = env_int("CARELOOP_FU_NO_ANSWER_RETRY_MINUTES", 60, minimum=1)
CARELOOP_FU_NO_ANSWER_NOTICE_AFTER = env_int("CARELOOP_FU_NO_ANSWER_NOTICE_AFTER", 3, minimum=1)
# A faulty / unreachable line, and a poor line: retry sooner; notice after more tries.
CARELOOP_FU_UNREACHABLE_RETRY_MINUTES = env_int("CARELOOP_FU_UNREACHABLE_RETRY_MINUTES", 10, minimum=1)
CARELOOP_FU_UNREACHABLE_NOTICE_AFTER = env_int("CARELOOP_FU_UNREACHABLE_NOTICE_AFTER", 6, minimum=1)
CARELOOP_FU_POOR_LINE_RETRY_MINUTES = env_int("CARELOOP_FU_POOR_LINE_RETRY_MINUTES", 10, minimum=1)
# The call time the notice SMS proposes (and the next try), hours after the last try.
CARELOOP_FU_NOTICE_DELAY_HOURS = env_int("CARELOOP_FU_NOTICE_DELAY_HOURS", 24, minimum=1)
# Calling hours (TIME_ZONE): tries are moved into them.
CARELOOP_FU_CALLING_START = env_time("CARELOOP_FU_CALLING_START", "08:00")
CARELOOP_FU_CALLING_END = env_time("CARELOOP_FU_CALLING_END", "21:00")
# Carrier limit of call-platform calls per callee per day; 0 = no limit.
CARELOOP_FU_CARRIER_MAX_CALLS_PER_DAY = env_int("CARELOOP_FU_CARRIER_MAX_CALLS_PER_DAY", 0, minimum=0) or None
# FU-15: missed tasks in a row before a client is "lost to follow-up".
CARELOOP_FU_LOST_AFTER_FAILED_TASKS = env_int("CARELOOP_FU_LOST_AFTER_FAILED_TASKS", 3, minimum=1)
# Open tasks of one client due within this many days are one call on the worklist.
CARELOOP_FU_GROUP_CALL_DAYS = env_int("CARELOOP_FU_GROUP_CALL_DAYS", 3, minimum=0, maximum=30)
# A team member's daily capacity when none is set on the member (FU-10).
CARELOOP_FU_DAILY_CAPACITY = env_int("CARELOOP_FU_DAILY_CAPACITY", 40, minimum=1)
# FU-14: a general problem's recheck reminder, and the tracking calls after a serious one (days).
CARELOOP_FU_RECHECK_DAYS = env_int("CARELOOP_FU_RECHECK_DAYS", 14, minimum=1)
CARELOOP_FU_TRACKING_DAYS = env_int_list("CARELOOP_FU_TRACKING_DAYS", [7, 30], minimum=1)
# A message rule's occurrence is handed to the outbox for this local hour of its due date (quiet hours and
# the daily cap may still move it later).
CARELOOP_FU_MESSAGE_HOUR = env_int("CARELOOP_FU_MESSAGE_HOUR", 9, minimum=0, maximum=23)


def _keys_outside_data() -> None:
    """Production refuses keys (and the audit checkpoint kept beside them) inside the data or backup folder:
    whoever can write there could otherwise rebuild the audit chain and its checkpoint undetected."""
    for name, folder in (("CARELOOP_DATA_DIR", DATA_DIR), ("CARELOOP_BACKUP_DIR", BACKUP_DIR)):
        if folder == KEYS_DIR or folder in KEYS_DIR.parents or KEYS_DIR in folder.parents:
            raise SettingError(
                f"CARELOOP_KEYS_DIR={KEYS_DIR} is inside (or contains) {name}={folder}. In production the keys "
                "that seal the audit chain and encrypt the data, and the audit checkpoint, must live outside the "
                "data and backup folders (see docs/security.md, 'Keys outside the data'). Set CARELOOP_KEYS_DIR "
                "to a directory of its own, e.g. /etc/careloop/keys.")


if PRODUCTION:
    _keys_outside_data()

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "careloop.accounts.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "careloop.core.api.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "careloop.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["careloop.core.api.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {"login": env_str("CARELOOP_LOGIN_RATE", "30/min")},
    "DATE_FORMAT": "%Y-%m-%d",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "careloop API",
    "DESCRIPTION": "Health-management and follow-up system (健康管理随访系统).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Apps add their own names in AppConfig.ready(); choice sets shared by several apps are named here.
    "ENUM_NAME_OVERRIDES": {"ChannelEnum": "careloop.clients.models.Channel"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "careloop.core.schema.add_error_responses",
    ],
}

# --- Background work ------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("CARELOOP_HUEY_NAME", "careloop"),
        "url": REDIS_URL,
        "immediate": TESTING,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "careloop",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": TESTING,
    }

# --- Tunables: each declared once here; code reads settings.NAME, never getattr(settings, NAME, default) ---
API_TOKEN_HOURS = env_int("CARELOOP_TOKEN_HOURS", 8, minimum=1)
# Checkups (seed 000 §3.2, seed 002): report delivered within N working days; tier-A interpretation within N hours.
CARELOOP_REPORT_DUE_WORKING_DAYS = env_int("CARELOOP_REPORT_DUE_WORKING_DAYS", 5, minimum=1)
CARELOOP_INTERPRETATION_HOURS = env_int("CARELOOP_INTERPRETATION_HOURS", 24, minimum=1)
# Assessments: SEC-4 consent check (switch off only for a trial), the key that signs issued reports.
CARELOOP_ASSESSMENT_REQUIRES_CONSENT = env_bool("CARELOOP_ASSESSMENT_REQUIRES_CONSENT", True)
CARELOOP_REPORT_SIGNING_KEY = env_str("CARELOOP_REPORT_SIGNING_KEY") or SECRET_KEY
# Messaging (docs/messaging.md): quiet hours, caps, retries, leases, providers.
MESSAGING_QUIET_HOURS = env_str("CARELOOP_MESSAGING_QUIET_HOURS", "21:00-08:00")
MESSAGING_QUIET_CHANNELS = env_list("CARELOOP_MESSAGING_QUIET_CHANNELS", ["sms", "wechat"])
MESSAGING_DAILY_CAP = env_int("CARELOOP_MESSAGING_DAILY_CAP", 3, minimum=0)
MESSAGING_MAX_ATTEMPTS = env_int("CARELOOP_MESSAGING_MAX_ATTEMPTS", 8, minimum=1)
MESSAGING_RETRY_BASE_SECONDS = env_int("CARELOOP_MESSAGING_RETRY_BASE_SECONDS", 30, minimum=0)
MESSAGING_RETRY_CAP_SECONDS = env_int("CARELOOP_MESSAGING_RETRY_CAP_SECONDS", 3600, minimum=0)
MESSAGING_LEASE_SECONDS = env_int("CARELOOP_MESSAGING_LEASE_SECONDS", 60, minimum=1)
MESSAGING_UNKNOWN_GRACE_SECONDS = env_int("CARELOOP_MESSAGING_UNKNOWN_GRACE_SECONDS", 600, minimum=0)
MESSAGING_SUBSCRIPTION_CHANGES_PER_YEAR = env_int("CARELOOP_MESSAGING_SUBSCRIPTION_CHANGES_PER_YEAR", 4, minimum=0)
MESSAGING_PROVIDERS = env_json("CARELOOP_MESSAGING_PROVIDERS", {})
MESSAGING_RECEIPT_SECRET = env_str("CARELOOP_MESSAGING_RECEIPT_SECRET")
# Webhooks go to https URLs on public hosts; this allows http and loopback/private hosts (development, or
# an integrator inside the same private network).
WEBHOOKS_ALLOW_PRIVATE = env_bool("CARELOOP_WEBHOOKS_ALLOW_PRIVATE", False)

# How a web process wakes the message dispatcher after commit: "huey" (a task to the worker) or "none"
# (the worker's poll finds the message). Tests use "none" unless a test asks for the wake-up.
MESSAGING_WAKE = env_str("CARELOOP_MESSAGING_WAKE", "none" if TESTING else "huey")
if MESSAGING_WAKE not in {"huey", "none"}:
    raise SettingError(f"CARELOOP_MESSAGING_WAKE={MESSAGING_WAKE!r}: expected huey or none")

# --- Logging: never the request body, never personal data -------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "careloop.lib.logging.RedactFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env_str("CARELOOP_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.db.backends": {"level": "INFO"}},
}

DEMO_PASSWORD = env_str("CARELOOP_DEMO_PASSWORD")
# Service desk (SVC-4): the public address survey links start with, how long they live, how often one
# address may load the public survey page.
PUBLIC_URL = env_str("CARELOOP_PUBLIC_URL", "http://localhost:8000").rstrip("/")
SURVEY_DAYS = env_int("CARELOOP_SURVEY_DAYS", 14, minimum=1, maximum=365)
SURVEY_RATE_PER_MINUTE = env_int("CARELOOP_SURVEY_RATE_PER_MINUTE", 30, minimum=1)
os.environ.setdefault("CARELOOP_DATA_DIR", str(DATA_DIR))

if TESTING:
    # Hashing with argon2's production cost makes every test user cost ~0.1 s; tests of the hasher
    # itself switch it back (tests/accounts/test_login.py).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
