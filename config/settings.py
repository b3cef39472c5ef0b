"""Settings for Linli, read from the environment.

Everything a deployment changes comes from environment variables, read through the small
typed helpers below that refuse bad values loudly instead of guessing. With nothing set,
Linli runs in development mode on a SQLite file beside the code.

    LINLI_MODE      "development" (default) or "production"
    DATABASE_URL    sqlite:///path.db (default: db.sqlite3) or postgres://user@host/db
    SECRET_KEY      required in production
    DEBUG           defaults to on in development, always off in production
    ALLOWED_HOSTS   comma-separated; defaults to localhost in development
    REDIS_URL       when set, the cache lives in Redis
    EMAIL_URL       smtp://user:pass@host:port when notifications should leave by email
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

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

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when LINLI_MODE=production")
    SECRET_KEY = "development-only-key-linli-not-for-production-use-0123456789"

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
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
    # Axes last, as its documentation asks, so that it sees authentication results.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files served by the application itself, compressed and cached forever.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, process memory otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "linli"),
        }
    }
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

# Language: Simplified Chinese first, English on request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules/chart.js/dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules/bootstrap-icons/font"),
    ("vendor/leaflet", BASE_DIR / "node_modules/leaflet/dist"),
    ("vendor/fullcalendar", BASE_DIR / "node_modules/fullcalendar"),
    ("vendor/fullcalendar-core", BASE_DIR / "node_modules/@fullcalendar/core"),
]
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

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

# Production hardening: `manage.py check --deploy` reports nothing in this mode.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not from the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
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
