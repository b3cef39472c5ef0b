"""Settings for Linli, read from the environment.

Everything a deployment changes comes from environment variables, read through the small
typed helpers below that refuse bad values loudly instead of guessing. With nothing set,
Linli runs in development mode on a SQLite file beside the code.

    LINLI_MODE      "development" (default) or "production"
    DATABASE_URL    sqlite:///path.db (default: db.sqlite3) or postgres://user@host/db
    SECRET_KEY      required in production
    DEBUG           defaults to on in development, always off in production
    ALLOWED_HOSTS   comma-separated; defaults to localhost in development
    REDIS_URL       when set, the cache lives in Redis, and the sessions' cache with it
    TLS_PROXY       production: on (default) behind a proxy that terminates TLS and sends
                    X-Forwarded-Proto: https; 0 for plain HTTP (a trial on loopback)
    METRICS_TOKEN   lets "Authorization: Bearer <token>" read /metrics from beyond loopback
    DATABASE_REPLICA_URL  postgres://… of a streaming read replica (dashboards and lists read from it)
    MEDIA_STORAGE   "local" (default: MEDIA_ROOT) or "s3" (uploaded files in an S3-compatible store, S3_*)
    EMAIL_URL       smtp://user:pass@host:port when notifications should leave by email
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


LINLI_MODE = env_str("LINLI_MODE", "development")
if LINLI_MODE not in {"development", "production"}:
    raise ImproperlyConfigured(f"LINLI_MODE must be 'development' or 'production', not {LINLI_MODE!r}")
PRODUCTION = LINLI_MODE == "production"

DEBUG = False if PRODUCTION else env_bool("DEBUG", True)

DEVELOPMENT_SECRET_KEY = "development-only-key-linli-not-for-production-use-0123456789"
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when LINLI_MODE=production")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif PRODUCTION and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    # The code's own key, or one short enough to guess, signs sessions anyone could forge.
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters when LINLI_MODE=production "
                               "(python -c 'import secrets; print(secrets.token_urlsafe(50))')")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when LINLI_MODE=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    # Linli's own apps, lowest layer first.
    "core",
    "org",
    "accounts",
    "audit",
    "excel",
    "rulepack",
    "ledger",
    "registry",
    "notifications",
    "scheduling",
    "funds",
    "operations",
    "planning",
    # The smart neighbourhood (智慧邻里): residents' needs, activities, orders, feedback.
    "neighbourhood",
    # Volunteers (志愿者): sign-up, teams, opportunities, QR sign-in, confirmed hours, time bank.
    "volunteers",
    # Supervision (监督考核): the bureau's indicators, monthly figures and dashboards.
    "supervision",
    # Community governance: 五社联动 projects and the community affairs admission list.
    "governance",
    # Residents' personal data (个人信息保护法): their copy of it and closing their account.
    "privacy",
    "demo",
]

MIDDLEWARE = [
    # Counts every answer and its time for /metrics: first, so that it sees every one.
    "core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.ApplicationErrorMiddleware",
    # A database or Redis that cannot be reached: a 503 page or the API's error shape, never a 500.
    "core.middleware.UnavailableMiddleware",
    # Axes last, as its documentation asks, so that it sees authentication results.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files served by the application itself, compressed and cached forever.
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.navigation",
                "notifications.views.unread_count",
            ],
        },
    },
]

# Database: SQLite by default, anything dj-database-url understands otherwise.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web server and the task worker share the file:
    # a writer takes the lock when its transaction begins, so nobody fails half-way with
    # "database is locked"; the busy timeout makes the others wait their turn.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("SQLITE_TEST_NAME")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A server that does not answer fails the request within seconds (a 503), not after TCP gives up.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A streaming read replica of the PostgreSQL primary (docs/deployment.md, "Scale-out"): the pages
# and API lists marked replica-safe read from it (core.replica), writes and everything else from the
# primary; a client that wrote reads from the primary for DATABASE_REPLICA_PIN_SECONDS, and a
# replica further behind than DATABASE_REPLICA_MAX_LAG_SECONDS (or down) is not read from.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
READ_REPLICA = DATABASE_REPLICA_URL is not None
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 5)
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10)
if READ_REPLICA:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("CONN_MAX_AGE", 60),
                                                 conn_health_checks=True)
    if "postgresql" not in DATABASES["default"]["ENGINE"] or DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a PostgreSQL replica of a PostgreSQL DATABASE_URL")
    if DATABASE_REPLICA_PIN_SECONDS < DATABASE_REPLICA_MAX_LAG_SECONDS + 2:
        raise ImproperlyConfigured("DATABASE_REPLICA_PIN_SECONDS must be at least DATABASE_REPLICA_MAX_LAG_SECONDS + 2, "
                                   "or a client could miss its own write")
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 3))
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
    MIDDLEWARE.append("core.replica.PinToPrimaryMiddleware")
else:
    # No replica: the alias is the primary's settings, which nothing reads from (no router); tests mirror
    # it. Read-only, so its SQLite transactions do not take the write lock as the primary's do.
    DATABASES["replica"] = {**DATABASES["default"], "OPTIONS": {
        k: v for k, v in DATABASES["default"].get("OPTIONS", {}).items() if k != "transaction_mode"}}
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

# Cache: Redis when REDIS_URL is set, process memory otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.KeptClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "linli"),
            # A Redis that does not answer fails the request within seconds (a 503), not after TCP gives up.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    # Sessions are written through to the database and read from Redis: a sign-in survives a
    # restart, a flush or an eviction of Redis (a cache, not a store), and reading one costs no query.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A file cache, so that the web server and the task worker see the same entries.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env_str("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
        }
    }

# Background tasks run from the database queue by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "accounts.backends.UsernameOrPhoneBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Login throttling: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# Proxies in front of the app servers that append the client's address to X-Forwarded-For: the sign-in
# lockout, the rate limits and the audit trail take the address the outermost one saw
# (core.middleware.client_ip). 0: the address the server saw (no proxy, or one that sets REMOTE_ADDR).
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"

# Language: Simplified Chinese first, English on request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` puts the static files whitenoise serves in production.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules/chart.js/dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules/bootstrap-icons/font"),
    ("vendor/leaflet", BASE_DIR / "node_modules/leaflet/dist"),
    ("vendor/fullcalendar", BASE_DIR / "node_modules/fullcalendar"),
    ("vendor/fullcalendar-core", BASE_DIR / "node_modules/@fullcalendar/core"),
]
# Of those packages, and of the apps' static folders, only the files pages use are found and collected
# (core.staticfiles).
STATICFILES_FINDERS = ["core.staticfiles.VendorFilesFinder", "core.staticfiles.AppFilesFinder"]
# Source maps are for a developer's browser tools: collected, not compressed (they are most of the bytes).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded files and the planning arrays go through Django's storage API: on local disk (MEDIA_ROOT)
# by default; MEDIA_STORAGE=s3 keeps them in an S3-compatible object store (MinIO, Ceph, OSS, COS, S3)
# that every app server and worker sees. The bucket stays private: Linli serves each file itself,
# after the permission check of its record.
#   S3_BUCKET  S3_ENDPOINT_URL (not for AWS)  S3_ACCESS_KEY_ID  S3_SECRET_ACCESS_KEY  S3_REGION
#   S3_PREFIX (a folder in the bucket)  S3_ADDRESSING_STYLE (path, the default with an endpoint; virtual; auto)


def media_storage() -> dict:
    """The storage of uploaded files from the environment (``STORAGES["default"]``), refusing an
    object store without its bucket."""
    if env_choice("MEDIA_STORAGE", "local", ("local", "s3")) == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    endpoint = env_str("S3_ENDPOINT_URL")
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"S3_ENDPOINT_URL must be an http(s):// address, not {endpoint!r}")
    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET, the name of the bucket")
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": env_str("S3_BUCKET"),
        "endpoint_url": endpoint,
        # Without keys boto3 looks for them as it always does (AWS_* variables, an instance role).
        "access_key": env_str("S3_ACCESS_KEY_ID"),
        "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
        "region_name": env_str("S3_REGION"),
        "location": env_str("S3_PREFIX", "").strip("/"),
        "addressing_style": env_choice("S3_ADDRESSING_STYLE", "path" if endpoint else "auto", ("auto", "path", "virtual")),
        "signature_version": "s3v4",
        "file_overwrite": False,  # a name already taken gets another, as on disk
        "default_acl": None,  # private
    }}


STORAGES["default"] = media_storage()
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest request body accepted at all (an Excel register of a province fits; 200 MB does not).
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 60 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded photos and scans (core.uploads): largest accepted, and the longest side a photo is kept at.
UPLOAD_PHOTO_MAX_MB = env_int("UPLOAD_PHOTO_MAX_MB", 8)
UPLOAD_DOCUMENT_MAX_MB = env_int("UPLOAD_DOCUMENT_MAX_MB", 20)
UPLOAD_PHOTO_MAX_SIDE = 2560

# Email: printed to the console unless EMAIL_URL names an SMTP server.
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    _email = urlparse(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = _email.username or ""
    EMAIL_HOST_PASSWORD = _email.password or ""
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "linli@localhost")

# Text messages for phone verification: printed to the console unless a gateway is configured.
SMS_BACKEND = env_str("SMS_BACKEND", "accounts.sms.ConsoleBackend")
# Phone verification codes: how long one is valid, how soon another may be sent, how many a number
# gets a day, and how many wrong tries one allows.
PHONE_CODE_TTL_MINUTES = env_int("PHONE_CODE_TTL_MINUTES", 10)
PHONE_CODE_RESEND_SECONDS = env_int("PHONE_CODE_RESEND_SECONDS", 60)
PHONE_CODES_PER_DAY = env_int("PHONE_CODES_PER_DAY", 10)
PHONE_CODE_MAX_ATTEMPTS = env_int("PHONE_CODE_MAX_ATTEMPTS", 5)

# API tokens: every token expires, API_TOKEN_DAYS after it is issued unless its owner asks for fewer
# days (or more, up to API_TOKEN_MAX_DAYS); its scope says what it may do (accounts.models.TokenScope).
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
if not 1 <= API_TOKEN_DAYS <= API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured("API_TOKEN_DAYS must be at least 1 and at most API_TOKEN_MAX_DAYS")


def env_rate(name: str, default: str) -> str:
    """A rate limit such as 20/10m (20 in ten minutes), 5/h or 100/d (core.ratelimit)."""
    import re

    value = env_str(name, default).strip()
    if not re.fullmatch(r"[1-9]\d*/([1-9]\d*)?[smhd]", value):
        raise ImproperlyConfigured(f"{name} must be a count over a period such as 20/10m, 5/h or 100/d, not {value!r}")
    return value


# Rate limits (core.ratelimit), counted in the cache (Redis when REDIS_URL is set, so every app server
# counts together): by client address, and for feedback and Open311 also by account or token.
RATE_LIMITS = {
    "sign_in": env_rate("RATE_LIMIT_SIGN_IN", "30/10m"),  # sign-in attempts (page and API), good or bad
    "phone_code": env_rate("RATE_LIMIT_PHONE_CODE", "10/h"),  # sign-up codes texted, whatever the number
    "sign_up": env_rate("RATE_LIMIT_SIGN_UP", "20/h"),  # residents' sign-ups
    "feedback": env_rate("RATE_LIMIT_FEEDBACK", "10/h"),  # feedback requests filed (page and API)
    "open311": env_rate("RATE_LIMIT_OPEN311", "30/h"),  # Open311 requests filed
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

# Production hardening: `manage.py check --deploy` reports nothing in this mode (with TLS_PROXY on).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not from the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Every page also says Content-Security-Policy (core.middleware.ContentSecurityPolicyMiddleware): scripts
# only from Linli's own static files, never inline, and no framing.

# TLS: in production Linli sits behind a proxy that terminates TLS (nginx, a load balancer) and talks
# plain HTTP to it, on loopback or a private network, saying X-Forwarded-Proto: https. Such requests
# count as secure (the CSRF check of a sign-in then wants the https origin the browser sends), one
# without the header is redirected to https, cookies go over TLS only, and SecurityMiddleware sends HSTS
# (on secure requests only). Linli must be reachable only through the proxy. TLS_PROXY=0 serves plain
# HTTP without any of that, for a trial on loopback (`make serve-prod`).
TLS_PROXY = PRODUCTION and env_bool("TLS_PROXY", True)
if TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes come to the app server itself, over plain HTTP, from a load balancer or Prometheus.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Probes and metrics (core.health, docs/deployment.md). /readyz fails when the oldest task waiting has
# waited longer than READY_TASK_MAX_AGE seconds, or no task worker has run the clock's heartbeat for
# WORKER_SEEN_WITHIN seconds. /metrics, and the reasons /readyz gives, answer loopback, or anyone who
# sends "Authorization: Bearer <METRICS_TOKEN>".
READY_TASK_MAX_AGE = env_int("READY_TASK_MAX_AGE", 300)
WORKER_SEEN_WITHIN = env_int("WORKER_SEEN_WITHIN", 180)
METRICS_TOKEN = env_str("METRICS_TOKEN")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The worker's lines about the heartbeat it runs every minute, and Django's about each 503 of
    # /readyz, are left out (core.health.QuietRoutine).
    "filters": {"quiet_routine": {"()": "core.health.QuietRoutine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["quiet_routine"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO" if PRODUCTION else "WARNING")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# The background of every map (``core.templatetags.maps`` hands it to the pages, ``core/maps.js``
# draws it). None by default: boundaries on a plain background, nothing fetched from outside.
#   MAP_TILES=tianditu  TIANDITU_KEY=<the 32-character key of 天地图>  MAP_REVIEW_NUMBER=<审图号>
#                       天地图's vector map with its annotation layer, credited to 天地图
#   MAP_TILES=custom    MAP_TILE_URL=https://tile.example.org/{z}/{x}/{y}.png  MAP_TILE_ATTRIBUTION=…
#                       any XYZ tile server (MAP_TILE_SUBDOMAINS for {s}); setting MAP_TILE_URL
#                       alone means custom
# MAP_REVIEW_NUMBER is the map's approval number (审图号, e.g. GS(2024)1234号), which a map shown on
# the internet in China must carry in its lower left corner; 天地图 publishes the number of its map.
TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/%(layer)s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%(layer)s"
                "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%(key)s")


def map_background() -> dict:
    """The map background from the environment, refusing what cannot work: {"layers": [{"url",
    "subdomains"}], "attribution", "review_number", "max_zoom"}."""
    import re

    url, attribution = env_str("MAP_TILE_URL", ""), env_str("MAP_TILE_ATTRIBUTION", "")
    tiles = env_choice("MAP_TILES", "custom" if url else "none", ("none", "custom", "tianditu"))
    review = env_str("MAP_REVIEW_NUMBER", "").strip()
    if review and not re.fullmatch(r"[A-Z\u4e00-\u9fff]{1,4}[(（]\d{4}[)）]\d{1,5}号", review):
        raise ImproperlyConfigured(f"MAP_REVIEW_NUMBER must be a map approval number such as GS(2024)1234号, not {review!r}")
    max_zoom = env_int("MAP_MAX_ZOOM", 18)
    if not 1 <= max_zoom <= 22:
        raise ImproperlyConfigured(f"MAP_MAX_ZOOM must be between 1 and 22, not {max_zoom}")
    if tiles == "none":
        if url:
            raise ImproperlyConfigured("MAP_TILE_URL is set but MAP_TILES=none: remove one of them")
        return {"layers": [], "attribution": "", "review_number": review, "max_zoom": max_zoom}
    if tiles == "tianditu":
        key = env_str("TIANDITU_KEY", "").strip()
        if not re.fullmatch(r"[0-9a-f]{32}", key):
            raise ImproperlyConfigured("MAP_TILES=tianditu needs TIANDITU_KEY, the 32-character key of 天地图 "
                                       f"(console.tianditu.gov.cn), not {key!r}")
        if not review:
            raise ImproperlyConfigured("MAP_TILES=tianditu needs MAP_REVIEW_NUMBER, the approval number (审图号) of "
                                       "天地图's map, which every page showing it must carry")
        if url:
            raise ImproperlyConfigured("MAP_TILE_URL is set but MAP_TILES=tianditu: remove one of them")
        return {"layers": [{"url": TIANDITU_URL % {"layer": layer, "key": key}, "subdomains": "01234567"}
                           for layer in ("vec", "cva")],
                "attribution": "天地图", "review_number": review, "max_zoom": min(max_zoom, 18)}
    if not url or not url.startswith(("https://", "http://", "/")) or not all(p in url for p in ("{z}", "{x}", "{y}")):
        raise ImproperlyConfigured(f"MAP_TILE_URL must be an XYZ tile address with {{z}}, {{x}} and {{y}}, such as "
                                   f"https://tile.example.org/{{z}}/{{x}}/{{y}}.png, not {url!r}")
    if not attribution:
        raise ImproperlyConfigured("MAP_TILE_ATTRIBUTION must name whose map the tiles are (their terms require it)")
    subdomains = env_str("MAP_TILE_SUBDOMAINS", "abc" if "{s}" in url else "")
    return {"layers": [{"url": url, "subdomains": subdomains}], "attribution": attribution, "review_number": review,
            "max_zoom": max_zoom}


MAP_BACKGROUND = map_background()

LINLI_SITE_NAME = _("Linli")
