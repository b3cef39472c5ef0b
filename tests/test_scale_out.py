"""Scale-out, tried for real (``deploy/try_scale_out.py``, ``make try-scale-out``): a PostgreSQL primary
and a streaming replica of its own on free ports, two gunicorn app servers on both, a booking made
through one, read through the other by its booker (from the primary: pinned after the write) and by
a supervisor (from the replica, as its log shows), and read again when the replica is stopped.

The tables are made from the models at once (``--quick-schema``) so that the whole try takes
seconds, not the minute the migrations take; ``make try-scale-out`` runs the migrations. It needs
the PostgreSQL server programs (not a database: it makes its own), and skips without them.
"""

import importlib.util
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "try_scale_out.py"


def _script():
    spec = importlib.util.spec_from_file_location("try_scale_out", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _postgres_missing() -> str | None:
    if _script().pg_bindir() is None:
        return ("the PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) are not installed "
                "(Debian: apt install postgresql-15, or set PG_BINDIR)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no user postgres to run the PostgreSQL server as"
    return None


def test_a_booking_made_through_one_app_server_is_read_through_the_other_from_the_replica():
    missing = _postgres_missing()
    if missing:
        pytest.skip(f"scale-out try-out skipped: {missing}")
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE")}
    done = subprocess.run([sys.executable, str(SCRIPT), "--free-ports", "--quick-schema"], capture_output=True, text=True,
                          timeout=180, env=env)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-6000:]
    assert "in recovery=True" in said and "streaming" in said
    assert "→ 201, booking 1" in said
    assert "as shequ" in said and "booking found; statements on the replica: 0" in said  # pinned to the primary
    assert "booking 1 found: 书法班" in said and "statements on the replica by linli-app-2" in said
    assert "reading it again from the primary" in said  # the replica stopped: the read still answered
    assert "stopped both app servers and both PostgreSQL servers, removed" in said
