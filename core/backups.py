"""Backups of a Linli installation in one file, and restoring one (``linli backup``, ``linli restore``).

An archive (``linli-backup-YYYYmmdd-HHMMSS.tar.gz``) holds:

    database.pgdump    PostgreSQL: ``pg_dump --format=custom``, one consistent snapshot
    database.sqlite3   SQLite: a copy made by SQLite's online backup API, consistent while Linli runs
    media/<name>       every file of the default storage (photos, scans, evidence, exports), read
                       through Django's storage API, so an object store works as the local disk does
    manifest.json      when, by which Linli, the database vendor, the latest applied migration of each
                       app, the row counts of key tables and the SHA-256 of every file above

The database is copied before the files, so every file the copied database names is in the archive.

Restoring checks everything before it changes anything: the archive reads to its end, every file
matches its checksum, the vendor is the configured database's, the code knows every migration the
backup was at, and the database holds no data (unless ``replace``). The database is then replaced
in one transaction (PostgreSQL: the objects of the schema dropped and the dump loaded by ``psql
--single-transaction``; SQLite: the backup API copying the saved file over the live one), the
counts checked against the manifest, the files put back through the storage, and the restore
recorded in the audit trail.
"""

import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .errors import ApplicationError

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
MEDIA = "media"
ARCHIVE_NAME = "linli-backup-{:%Y%m%d-%H%M%S}.tar.gz"
ARCHIVE_PATTERN = re.compile(r"linli-backup-\d{8}-\d{6}\.tar\.gz")
# Counted into the manifest and again after a restore; any of them with rows means "the database holds data".
KEY_MODELS = ["org.Division", "org.Organisation", "accounts.User", "registry.Site", "registry.Room", "scheduling.Booking",
              "funds.Fund", "ledger.Account", "ledger.Transaction", "ledger.Leg", "audit.AuditEvent"]
CHUNK = 1024 * 1024

Say = Callable[[str], None]


class BackupRefused(ApplicationError):
    """A backup or restore that cannot be done as asked; nothing was changed."""

    code = "backup_refused"


class BackupFailed(ApplicationError):
    """A backup or restore that failed half-way, with the tool's own words."""

    status = 500
    code = "backup_failed"


@dataclass
class Restored:
    manifest: dict
    counts: dict[str, int]
    files: int = 0
    files_unchanged: int = 0
    pending_migrations: list[str] = field(default_factory=list)


def _quiet(message: str) -> None:
    pass


def _size(number: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if number < 1024 or unit == "GB":
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1024
    return ""  # not reached


class _Hashing:
    """A file read through, counting its bytes and their SHA-256 on the way (for ``tarfile.addfile``)."""

    def __init__(self, stream):
        self.stream, self.sha256, self.bytes = stream, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.sha256.update(data)
        self.bytes += len(data)
        return data


class _Progress:
    """``done/total`` at every tenth of the way, but not more than once a second (a thousand small
    photos go by faster than anyone reads)."""

    def __init__(self, say: Say, total: int):
        self.say, self.total, self.step, self.last = say, total, max(1, total // 10), time.monotonic()

    def __call__(self, done: int) -> None:
        if done % self.step == 0 and done < self.total and time.monotonic() - self.last >= 1:
            self.say(_("uploaded files: %(done)s/%(total)s") % {"done": f"{done:,}", "total": f"{self.total:,}"})
            self.last = time.monotonic()


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


# What the database is at -------------------------------------------------------------------------

def linli_version() -> str:
    try:
        return metadata.version("linli")
    except metadata.PackageNotFoundError:
        return "unknown"


def migration_state() -> dict[str, str]:
    """The latest applied migration of each app (migration names sort by their number)."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, name), name)
    return dict(sorted(latest.items()))


def key_counts() -> dict[str, int]:
    """Rows of the key tables, by model label; a table that does not exist counts 0."""
    tables = set(connection.introspection.table_names())
    counts = {}
    for label in KEY_MODELS:
        model = apps.get_model(label)
        counts[label.lower()] = model._default_manager.count() if model._meta.db_table in tables else 0
    return counts


def model_plural(label: str) -> str:
    """What a key table holds, in words (``org.division`` → divisions)."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except (LookupError, ValueError):  # a table of another version of Linli
        return label


def _counted(counts: dict[str, int]) -> str:
    named = [f"{number:,} {model_plural(label)}" for label, number in counts.items() if number]
    return ", ".join(named) or _("no rows in the key tables")


def _storage_files(folder: str = "") -> list[str]:
    """Every file of the default storage, by name."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [posixpath.join(folder, name) for name in sorted(files)]
    for name in sorted(folders):
        names += _storage_files(posixpath.join(folder, name))
    return names


# PostgreSQL's tools ------------------------------------------------------------------------------

def _pg_env() -> dict[str, str]:
    """The environment that points libpq's tools at the configured database (password included,
    so it never shows in a process list)."""
    from django.db.backends.postgresql.client import DatabaseClient

    settings_dict = connection.settings_dict
    _args, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGDATABASE", "NAME")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program at least as new as the server."""
    path = shutil.which(name)
    if path is None:
        raise BackupRefused(_("%(tool)s is not installed. Install the PostgreSQL client programs (version %(server)s or "
                              "newer) on this machine.") % {"tool": name, "server": connection.pg_version // 10000})
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    server = connection.pg_version // 10000
    if found and int(found.group(1)) < server:
        raise BackupRefused(_("%(tool)s is version %(client)s but the database server is version %(server)s: install the "
                              "PostgreSQL %(server)s client programs.")
                            % {"tool": name, "client": found.group(1), "server": server})
    return path


def _failed(tool: str, stderr: str) -> BackupFailed:
    lines = [line.strip() for line in stderr.strip().splitlines()]
    words = " ".join([line for line in lines if "ERROR:" in line or "FATAL:" in line or "error:" in line][-3:] or lines[-5:])
    return BackupFailed(_("%(tool)s failed: %(words)s") % {"tool": tool, "words": words or "?"})


# Everything but the extensions' own objects, in the schema the dump was loaded into.
PG_DROP_ALL = """
SET client_min_messages = warning;
DO $linli$
DECLARE item record;
BEGIN
    FOR item IN
        SELECT format('DROP %s IF EXISTS %I.%I CASCADE',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                                     WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, n.nspname, c.relname) AS statement
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY c.relkind = 'S'
    LOOP
        EXECUTE item.statement;
    END LOOP;
    FOR item IN
        SELECT format('DROP %s IF EXISTS %s CASCADE', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE'
                      ELSE 'FUNCTION' END, p.oid::regprocedure) AS statement
        FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE item.statement;
    END LOOP;
END
$linli$;
"""


def _pg_dump(target: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Dump the database; returns its migration state and key counts, read in the snapshot the dump is
    made from (an exported snapshot that pg_dump joins), so they agree with it while Linli writes on."""
    pg_dump = _pg_tool("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = migration_state(), key_counts()
        done = subprocess.run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={target}"],
                              env=_pg_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise _failed("pg_dump", done.stderr)
    return facts


def _pg_restore(dump: Path, workdir: Path) -> None:
    """Drop what the schema holds and load the dump, in one transaction: all of it or nothing."""
    pg_restore, psql = _pg_tool("pg_restore"), _pg_tool("psql")
    env = _pg_env()
    connection.close()  # nothing of ours holds the tables while they are dropped
    prelude = workdir / "drop.sql"
    prelude.write_text(PG_DROP_ALL, encoding="utf-8")
    with open(workdir / "pg_restore.log", "w+b") as script_errors:  # a file, not a pipe nobody reads while psql runs
        script = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--no-comments", "--file=-", str(dump)],
                                  env=env, stdout=subprocess.PIPE, stderr=script_errors)
        loaded = subprocess.run([psql, "--no-psqlrc", "--quiet", "--no-password", "--single-transaction",
                                 "--set=ON_ERROR_STOP=1", "--output=/dev/null", f"--file={prelude}", "--file=-"],
                                env=env, stdin=script.stdout, capture_output=True, text=True, check=False)
        script.stdout.close()
        script.wait()
        if loaded.returncode != 0:  # first: when psql stops, pg_restore only sees its pipe closed
            raise _failed("psql", loaded.stderr)
        if script.returncode != 0:
            script_errors.seek(0)
            raise _failed("pg_restore", script_errors.read().decode(errors="replace"))


# SQLite ------------------------------------------------------------------------------------------

def _sqlite_copy(target: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Copy the database with SQLite's online backup API; returns the copy's migration state and key
    counts (read from the copy: the live database may have moved on)."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # the whole database in one step: one consistent read
        tables = {name for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        latest: dict[str, str] = {}
        if "django_migrations" in tables:
            for app, name in copy.execute("SELECT app, name FROM django_migrations"):
                latest[app] = max(latest.get(app, name), name)
        counts = {}
        for label in KEY_MODELS:
            table = apps.get_model(label)._meta.db_table
            counts[label.lower()] = copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] if table in tables else 0
    finally:
        copy.close()
    return dict(sorted(latest.items())), counts


def _sqlite_restore(saved: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{saved}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)  # replaces every page of the live file in one write transaction
    except sqlite3.Error as error:
        raise BackupFailed(_("SQLite could not restore the database: %(error)s") % {"error": error}) from None
    finally:
        source.close()
    connection.close()


# Backup ------------------------------------------------------------------------------------------

def _add(archive: tarfile.TarFile, name: str, stream, size: int) -> str:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    hashing = _Hashing(stream)
    archive.addfile(info, hashing)
    return hashing.sha256.hexdigest()


def backup_create(*, destination: Path, say: Say = _quiet, now: datetime | None = None) -> Path:
    """Write a backup archive of the database and the uploaded files; ``destination`` is a folder (the
    archive gets a dated name in it) or the archive's own path. Returns the archive's path."""
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BackupRefused(_("Linli backs up PostgreSQL and SQLite databases, not %(vendor)s.") % {"vendor": vendor})
    now = now or timezone.now()
    destination = Path(destination)
    path = destination if destination.name.endswith((".tar.gz", ".tgz")) else destination / ARCHIVE_NAME.format(timezone.localtime(now))
    if path.exists():
        raise BackupRefused(_("%(path)s already exists.") % {"path": path})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    started = time.monotonic()
    manifest = {
        "format": FORMAT, "created_at": timezone.localtime(now).isoformat(), "linli_version": linli_version(),
        "django_version": django.get_version(), "database": {"vendor": vendor, "file": DATABASE_FILES[vendor]},
    }
    try:
        with tempfile.TemporaryDirectory(prefix="linli-backup-") as workdir:
            dump = Path(workdir) / DATABASE_FILES[vendor]
            say(_("copying the database (%(vendor)s)") % {"vendor": vendor})
            if vendor == "postgresql":
                manifest["database"]["server_version"] = connection.pg_version
                manifest["migrations"], manifest["counts"] = _pg_dump(dump)
            else:
                manifest["migrations"], manifest["counts"] = _sqlite_copy(dump)
            say(_("database copied: %(size)s") % {"size": _size(dump.stat().st_size)})
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # residents' data: owner only
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive:
                with open(dump, "rb") as stream:
                    manifest["database"]["sha256"] = _add(archive, DATABASE_FILES[vendor], stream, dump.stat().st_size)
                manifest["database"]["bytes"] = dump.stat().st_size
                dump.unlink()
                names = _storage_files()
                say(ngettext("copying %(count)s uploaded file", "copying %(count)s uploaded files", len(names))
                    % {"count": len(names)})
                files, total, progress = {}, 0, _Progress(say, len(names))
                for number, name in enumerate(names, start=1):
                    size = default_storage.size(name)
                    with default_storage.open(name, "rb") as stream:
                        files[name] = _add(archive, f"{MEDIA}/{name}", stream, size)
                    total += size
                    progress(number)
                say(_("uploaded files copied: %(count)s, %(size)s") % {"count": f"{len(files):,}", "size": _size(total)})
                manifest["media"] = {"files": len(files), "bytes": total, "sha256": files}
                text = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                _add(archive, MANIFEST, io.BytesIO(text), len(text))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    say(_("backup written: %(path)s, %(size)s in %(seconds).1f s")
        % {"path": path, "size": _size(path.stat().st_size), "seconds": time.monotonic() - started})
    return path


def backups_prune(*, folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives with Linli's dated names in ``folder``; returns those deleted."""
    archives = sorted(p for p in Path(folder).iterdir() if ARCHIVE_PATTERN.fullmatch(p.name))
    old = archives[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


# Restore -----------------------------------------------------------------------------------------

def _damaged(archive: Path, why: str) -> BackupRefused:
    return BackupRefused(_("%(path)s is damaged or is not a Linli backup (%(why)s). Nothing was changed.")
                         % {"path": archive, "why": why}, code="backup_damaged")


def backup_open(*, archive: Path, into: Path) -> dict:
    """Unpack ``archive`` into the folder ``into`` and check it whole: every file there and matching
    its checksum, nothing else. Returns the manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupRefused(_("There is no backup at %(path)s.") % {"path": archive}, code="backup_missing")
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if not member.isfile() or not parts or (parts[0] != MEDIA and len(parts) != 1) or ".." in parts:
                    raise _damaged(archive, member.name)
                tar.extract(member, into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise _damaged(archive, str(error) or type(error).__name__) from None
    try:
        manifest = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
        database, media = manifest["database"], manifest["media"]
        expected = {database["file"]: database["sha256"]} | {f"{MEDIA}/{name}": sha for name, sha in media["sha256"].items()}
        vendor, created, fmt = database["vendor"], manifest["created_at"], int(manifest["format"])
        manifest["migrations"], manifest["counts"]  # noqa: B018 — present, or the manifest is not ours
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise _damaged(archive, MANIFEST) from None
    if fmt > FORMAT:
        raise BackupRefused(_("This backup was written by a newer version of Linli (%(version)s); restore it with that "
                              "version.") % {"version": manifest.get("linli_version", "?")}, code="backup_newer")
    if DATABASE_FILES.get(vendor) != database["file"] or not isinstance(created, str):
        raise _damaged(archive, MANIFEST)
    present = {path.relative_to(into).as_posix() for path in into.rglob("*") if path.is_file()} - {MANIFEST}
    if present != set(expected):
        raise _damaged(archive, ", ".join(sorted(present ^ set(expected))[:3]))
    for name, sha in expected.items():
        with open(into / name, "rb") as stream:
            if _sha256(stream) != sha:
                raise _damaged(archive, _("%(name)s does not match its checksum") % {"name": name})
    return manifest


def _check_compatible(manifest: dict) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupRefused(_("This is a backup of a %(backup)s database and Linli is configured for %(here)s "
                              "(DATABASE_URL). Restore it into a %(backup)s database.")
                            % {"backup": vendor, "here": connection.vendor}, code="backup_other_vendor")
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = sorted(f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known)
    if unknown:
        raise BackupRefused(_("This backup was made by a newer version of Linli (%(version)s): this code does not know "
                              "its migrations %(migrations)s. Restore it with that version or a newer one.")
                            % {"version": manifest.get("linli_version", "?"), "migrations": ", ".join(unknown)},
                            code="backup_newer")


def database_holds_data() -> str:
    """What the configured database holds that a restore would replace, in words; "" for a new or a
    freshly migrated database. Tables no installed app knows count too: they may be another
    program's, in a database named by mistake."""
    introspection = connection.introspection
    tables = {name for name in introspection.table_names() if not name.startswith("sqlite_")}
    foreign = sorted(tables - set(introspection.django_table_names()) - {"django_migrations"})
    held = {label: number for label, number in key_counts().items() if number}
    words = [_counted(held)] if held else []
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        words.append(_("tables Linli does not know: %(tables)s") % {"tables": shown})
    return "; ".join(words)


def _pending_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _restore_files(folder: Path, names: dict[str, str], say: Say) -> tuple[int, int]:
    written = unchanged = 0
    progress = _Progress(say, len(names))
    for number, (name, sha) in enumerate(sorted(names.items()), start=1):
        progress(number)
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as stream:
                if _sha256(stream) == sha:
                    unchanged += 1
                    continue
            default_storage.delete(name)
        with open(folder / name, "rb") as stream:
            saved = default_storage.save(name, File(stream, name=name))
        if saved != name:
            raise BackupFailed(_("The storage saved %(name)s as %(saved)s.") % {"name": name, "saved": saved})
        written += 1
    return written, unchanged


def backup_restore(*, archive: Path, replace: bool = False, say: Say = _quiet, actor="system") -> Restored:
    """Put the database and the uploaded files of ``archive`` in place of the configured ones. Refused,
    with nothing changed, when the archive is damaged, of another vendor or of a newer Linli, or
    when the database holds data and ``replace`` is not given."""
    from audit.services import audit_record
    from core.statistics import statistics_refresh

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="linli-restore-") as workdir:
        workdir = Path(workdir)
        say(_("reading %(path)s") % {"path": archive})
        manifest = backup_open(archive=archive, into=workdir)
        _check_compatible(manifest)
        held = database_holds_data()
        if held and not replace:
            raise BackupRefused(_("The database %(name)s already holds data (%(what)s). Restoring replaces all of it: "
                                  "run again with --replace if that is what you want.")
                                % {"name": connection.settings_dict["NAME"], "what": held},
                                code="database_not_empty")
        say(_("backup of %(time)s by Linli %(version)s: %(what)s")
            % {"time": manifest["created_at"], "version": manifest.get("linli_version", "?"), "what": _counted(manifest["counts"])})
        say(_("restoring the database (%(vendor)s)") % {"vendor": connection.vendor})
        dump = workdir / manifest["database"]["file"]
        if connection.vendor == "postgresql":
            _pg_restore(dump, workdir)
        else:
            _sqlite_restore(dump)
        dump.unlink()
        counts = key_counts()
        if any(counts.get(label, 0) != number for label, number in manifest["counts"].items()):
            raise BackupFailed(_("The restored database does not hold what the backup counted: %(restored)s instead of "
                                 "%(counted)s.") % {"restored": _counted(counts), "counted": _counted(manifest["counts"])})
        say(_("database restored: %(what)s") % {"what": _counted(counts)})
        if connection.vendor == "postgresql":
            statistics_refresh()  # a loaded dump has no planner statistics yet
        files = manifest["media"]["files"]
        say(ngettext("restoring %(count)s uploaded file", "restoring %(count)s uploaded files", files) % {"count": files})
        written, unchanged = _restore_files(workdir / MEDIA, manifest["media"]["sha256"], say)
    pending = _pending_migrations()
    if not pending:  # an older schema is brought up to date by `linli migrate` first
        with transaction.atomic():
            audit_record(actor=actor, action="core.database.restored",
                         note=f"{Path(archive).name} ({manifest['created_at']}, Linli {manifest.get('linli_version', '?')})")
    say(_("restored in %(seconds).1f s") % {"seconds": time.monotonic() - started})
    return Restored(manifest=manifest, counts=counts, files=written, files_unchanged=unchanged, pending_migrations=pending)


def progress(*, quiet: bool = False):
    """What the commands print as they go: each line after the seconds since the start (nothing when quiet)."""
    import sys
    import time

    started = time.monotonic()

    def say(message: str) -> None:
        if not quiet:
            sys.stdout.write(f"[{time.monotonic() - started:5.1f}s] {message}\n")
            sys.stdout.flush()

    return say
