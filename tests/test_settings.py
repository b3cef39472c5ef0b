"""Configuration from the environment, and the production mode's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "LINLI_MODE", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    clean.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "LINLI_MODE": "production",
    "SECRET_KEY": "a8Jq2k-this-is-a-long-random-production-secret-key-7Xz0pLm3Vn9Rt5Yb1Wc4",
    "ALLOWED_HOSTS": "linli.example.org",
    "DATABASE_URL": "postgres://linli@127.0.0.1:5432/linli",
}


def test_production_mode_passes_every_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_is_refused_loudly():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_database_url_selects_postgresql_through_psycopg3():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])"
    result = run_manage("shell", "-c", code, DATABASE_URL="postgres://someone@db.example.org:5432/linli")
    assert result.stdout.strip().endswith("django.db.backends.postgresql linli"), result.stderr


def test_sqlite_is_the_default_and_shares_the_file_safely():
    code = "from django.conf import settings; d = settings.DATABASES['default']; print(d['ENGINE'], d['OPTIONS']['transaction_mode'])"
    result = run_manage("shell", "-c", code)
    assert result.stdout.strip().endswith("django.db.backends.sqlite3 IMMEDIATE"), result.stderr


def test_passwords_are_hashed_with_argon2():
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = run_manage("shell", "-c", code)
    assert result.stdout.strip().endswith("Argon2PasswordHasher")


def redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379 on this machine")
def test_redis_url_puts_the_cache_in_redis():
    code = (
        "from django.core.cache import cache; import uuid; k = 'settings-test-' + uuid.uuid4().hex; "
        "cache.set(k, 'ok', 30); import redis; r = redis.Redis.from_url('redis://127.0.0.1:6379/15'); "
        "print(cache.get(k), bool(r.keys('*' + k)))"
    )
    result = run_manage("shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/15")
    assert result.stdout.strip().endswith("ok True"), result.stdout + result.stderr


def test_make_test_runs_the_tests_of_every_app():
    """An app whose tests are not under ``testpaths`` would never run in ``make test`` or CI."""
    import tomllib

    from django.apps import apps

    testpaths = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]["testpaths"])
    ours = {Path(app.path).name for app in apps.get_app_configs() if Path(app.path).parent == ROOT}
    with_tests = {name for name in ours if (ROOT / name / "tests").is_dir()}
    assert with_tests - testpaths == set()


def test_production_sits_behind_a_tls_proxy_unless_told_it_serves_plain_http():
    code = ("from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_REDIRECT_EXEMPT)")
    proxied = run_manage("shell", "-c", code, **PRODUCTION)
    assert proxied.stdout.strip().endswith("('HTTP_X_FORWARDED_PROTO', 'https') True True True 31536000 "
                                           "['^healthz$', '^readyz$', '^metrics$']"), proxied.stderr
    plain = run_manage("shell", "-c", code, **PRODUCTION, TLS_PROXY="0")
    assert plain.stdout.strip().endswith("None False False False 0 []"), plain.stderr


def test_with_redis_sessions_are_kept_in_the_database_and_read_from_redis():
    """cached_db, not cache: Redis is a cache (a restart or an eviction loses keys), and a sign-in must
    survive it; each request still reads its session from Redis, without a query."""
    code = ("from django.conf import settings as s; print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'], "
            "s.CACHES['default']['OPTIONS'])")
    result = run_manage("shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/11")
    assert result.stdout.strip().endswith("django.contrib.sessions.backends.cached_db core.redis_cache.KeptClientRedisCache "
                                          "{'socket_connect_timeout': 2, 'socket_timeout': 5}"), result.stderr
    without = run_manage("shell", "-c", "from django.conf import settings as s; print(s.SESSION_ENGINE)")
    assert without.stdout.strip().endswith("django.contrib.sessions.backends.db")
