"""Forward-only, numbered ClickHouse migrations with checksums.

Files are ``migrations/NNN_name.sql``: statements separated by ``;`` at the end of a line.
A header line ``-- min-server-version: 20.3`` gates a file on the server's version: on an older
server it is skipped and NOT recorded, so it applies once the server is upgraded. Applied
files are recorded in ``schema_migrations`` with their SHA-256; changing an applied file is
refused, never silently re-run. Every statement is idempotent (``IF NOT EXISTS``, and
``ADD COLUMN`` is checked against ``system.columns`` first), so a run interrupted halfway
completes on the next try.

A statement that cannot be idempotent by itself (rebuilding a table whose sort key changes
type: copy, rename, drop) carries a guard, a comment line right before it::

    -- if: SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'x'
    RENAME TABLE x TO y;

It runs only when the guard's query answers a non-zero number, so each step of a rebuild
checks the state the previous steps left and an interrupted rebuild resumes where it stopped.

Several processes may migrate at once (the first runs of several DAGs each check the schema):
whoever finds a migration pending takes a lock first, so guarded steps never interleave. The
lock is a table that only one ``CREATE TABLE`` can make (ClickHouse DDL on one name is
serialized); its holder drops it when done. A lock left by a process that died is broken once
the same holder has been seen holding it for :data:`STALE_LOCK_S`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from netargus.store import ClickHouseSettings, connect

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
FILE_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
MIN_VERSION = re.compile(r"^--\s*min-server-version:\s*([\d.]+)\s*$", re.MULTILINE)
ADD_COLUMN = re.compile(r"^ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)
GUARD = re.compile(r"^\s*--\s*if:\s*(.+?)\s*$")

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    id UInt32,
    name String,
    checksum String,
    applied_at DateTime,
    server_version String
)
ENGINE = MergeTree
ORDER BY id
"""


LOCK_TABLE = "schema_migration_lock"
STALE_LOCK_S = 300.0  # no migration here takes minutes: a lock this old lost its holder


class MigrationError(RuntimeError):
    """The schema cannot be brought up to date safely (e.g. an applied file was edited)."""


class Executor(Protocol):
    """The little of a ClickHouse client the migrator needs (driver or chdb)."""

    def execute(self, sql: str) -> None: ...

    def query(self, sql: str) -> list[tuple[Any, ...]]: ...

    def insert(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None: ...

    def server_version(self) -> str: ...


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    id: int
    name: str
    sql: str
    checksum: str
    min_version: tuple[int, ...] = ()

    @property
    def steps(self) -> list[tuple[str | None, str]]:
        """The file's statements with their guards (``None``: unguarded), comments stripped."""
        out: list[tuple[str | None, str]] = []
        for chunk in re.split(r";\s*(?:\n|$)", self.sql):
            guard, lines = None, []
            for line in chunk.splitlines():
                found = GUARD.match(line)
                if found:
                    guard = found.group(1)
                elif not line.strip().startswith("--"):
                    lines.append(line)
            statement = "\n".join(lines).strip()
            if statement:
                out.append((guard, statement))
        return out

    @property
    def statements(self) -> list[str]:
        """The file's statements, comments stripped."""
        return [statement for _, statement in self.steps]


def version_tuple(text: str) -> tuple[int, ...]:
    """``"18.16.1"`` -> ``(18, 16, 1)``."""
    return tuple(int(p) for p in re.findall(r"\d+", text)[:4])


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read and order the migration files; names and ids are checked.

    Raises:
        MigrationError: a badly named file or two files with the same number.
    """
    out: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNN_snake_name.sql")
        number = int(match.group(1))
        if number in out:
            raise MigrationError(f"{path}: number {number:03d} is used twice")
        sql = path.read_text(encoding="utf-8")
        gate = MIN_VERSION.search(sql)
        out[number] = Migration(
            id=number,
            name=match.group(2),
            sql=sql,
            checksum=hashlib.sha256(sql.encode()).hexdigest(),
            min_version=version_tuple(gate.group(1)) if gate else (),
        )
    return [out[k] for k in sorted(out)]


@dataclass(frozen=True)
class MigrationReport:
    """What a migrate call did."""

    applied: list[str]
    skipped: list[str]
    already: list[str]


def _statement_needed(db: Executor, statement: str, guard: str | None = None) -> bool:
    if guard is not None:
        answer = db.query(guard)
        return bool(answer and answer[0] and answer[0][0])
    add = ADD_COLUMN.match(statement)
    if not add:
        return True
    table, column = add.groups()
    found = db.query(
        "SELECT count() FROM system.columns WHERE database = currentDatabase() "
        f"AND table = '{table}' AND name = '{column}'"
    )
    return not found[0][0]


def _holder(db: Executor) -> tuple[Any, ...] | None:
    """The lock's rows (holder, epoch seconds), or None when no lock table exists (its holder
    dropped it since we found it)."""
    try:
        return tuple(db.query(f"SELECT holder, toUnixTimestamp(at) FROM {LOCK_TABLE}"))
    except Exception as exc:
        if "doesn't exist" in str(exc) or "UNKNOWN_TABLE" in str(exc):
            return None
        raise


@contextmanager
def _locked(db: Executor, wait: float, stale_after: float) -> Iterator[None]:
    """Hold the migration lock (see the module docstring) for the ``with`` block.

    Raises:
        MigrationError: another holder kept it for ``wait`` seconds without going stale.
    """
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    seen: tuple[Any, float] | None = None  # (holder rows, since when we see them)
    while True:
        try:
            db.execute(f"CREATE TABLE {LOCK_TABLE} (holder String, at DateTime) ENGINE = Log")
            break
        except Exception as exc:
            if "already exists" not in str(exc):
                raise
        holder = _holder(db)
        if holder is None:  # released between our CREATE and this read: try again at once
            continue
        now = time.monotonic()
        if seen is None or seen[0] != holder:
            seen = (holder, now)
        elif now - seen[1] >= stale_after:
            log.warning("schema migration lock held by %s for %.0f s: broken as stale",
                        holder or "nobody", now - seen[1])
            if _holder(db) == holder:
                db.execute(f"DROP TABLE IF EXISTS {LOCK_TABLE}")
            seen = None
            continue
        if now >= deadline:
            raise MigrationError(f"another process has been migrating the schema for more "
                                 f"than {wait:.0f} s (lock {LOCK_TABLE}: {holder})")
        time.sleep(0.5)
    try:
        db.insert(LOCK_TABLE, ["holder", "at"], [(token, datetime.now(UTC))])
        yield
    finally:
        db.execute(f"DROP TABLE IF EXISTS {LOCK_TABLE}")


def migrate(db: Executor, migrations: list[Migration] | None = None, *, wait: float = 600.0,
            stale_after: float = STALE_LOCK_S) -> MigrationReport:
    """Apply every pending migration the server's version allows, in order, under the
    migration lock when any is pending (``wait``: seconds to wait for another migrating
    process; ``stale_after``: seconds after which a holder that did not change is taken for
    dead).

    Raises:
        MigrationError: an applied migration's file changed since (checksum mismatch), or
            another process kept the lock for ``wait`` seconds.
    """
    migrations = load_migrations() if migrations is None else migrations
    db.execute(SCHEMA_MIGRATIONS)
    if not _pending(db, migrations):
        return _apply(db, migrations)
    with _locked(db, wait, stale_after):
        return _apply(db, migrations)  # reads what is applied again: another may have


def _applied(db: Executor) -> dict[int, str]:
    return {row[0]: row[2] for row in db.query(
        "SELECT id, name, checksum FROM schema_migrations ORDER BY id")}


def _pending(db: Executor, migrations: list[Migration]) -> bool:
    applied, server = _applied(db), version_tuple(db.server_version())
    return any(m.id not in applied and not (m.min_version and server < m.min_version)
               for m in migrations)


def _apply(db: Executor, migrations: list[Migration]) -> MigrationReport:
    applied = _applied(db)
    server = db.server_version()
    report = MigrationReport([], [], [])
    for m in migrations:
        label = f"{m.id:03d}_{m.name}"
        if m.id in applied:
            if applied[m.id] != m.checksum:
                raise MigrationError(
                    f"migration {label} was changed after it was applied (checksum "
                    f"{applied[m.id][:12]} in schema_migrations, {m.checksum[:12]} on disk); "
                    "migrations are forward-only: add a new file instead")
            report.already.append(label)
            continue
        if m.min_version and version_tuple(server) < m.min_version:
            log.info("migration %s skipped: needs server >= %s, this one is %s", label,
                     ".".join(map(str, m.min_version)), server)
            report.skipped.append(label)
            continue
        for guard, statement in m.steps:
            if _statement_needed(db, statement, guard):
                db.execute(statement)
        db.insert("schema_migrations", ["id", "name", "checksum", "applied_at", "server_version"],
                  [(m.id, m.name, m.checksum, datetime.now(UTC), server)])
        log.info("migration %s applied", label)
        report.applied.append(label)
    return report


class DriverExecutor:
    """:class:`Executor` over a clickhouse-driver ``Client``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def execute(self, sql: str) -> None:
        self.client.execute(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.client.execute(sql))

    def insert(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", rows)

    def server_version(self) -> str:
        return str(self.client.execute("SELECT version()")[0][0])


def migrate_database(settings: ClickHouseSettings) -> MigrationReport:
    """Create ``settings.database`` if needed and apply every pending migration to it."""
    ensure_database(connect(settings, database="default"), settings.database)
    return migrate(DriverExecutor(connect(settings)))


def ensure_database(client: Any, database: str) -> None:
    """Create ``database`` if it does not exist (the client must not be bound to it)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
        raise MigrationError(f"invalid database name {database!r}")
    client.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
