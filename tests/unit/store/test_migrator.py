"""Migrator logic: ordering, checksums, version gates, idempotence, interrupted runs.

Most run against a small in-memory stand-in for ClickHouse (no services in unit tests); the
interrupted-run tests need real guards answered by real state, so they use chdb (ClickHouse
in-process). The same migrator runs on the lab's server in tests/integration/test_migrations.py.
"""

import hashlib
from pathlib import Path

import pytest

from netargus.store.migrator import MigrationError, load_migrations, migrate, version_tuple
from tests.helpers.chdb import ChdbExecutor


class RecordingExecutor:
    """Remembers statements and the schema_migrations rows; answers what the migrator asks."""

    def __init__(self, version: str = "18.16.1") -> None:
        self.version = version
        self.statements: list[str] = []
        self.lock_statements: list[str] = []
        self.rows: list[tuple] = []

    def execute(self, sql: str) -> None:
        if "schema_migration_lock" in sql:  # the lock: taken and dropped around applying
            self.lock_statements.append(sql.split()[0])
            return
        self.statements.append(" ".join(sql.split()))

    def query(self, sql: str) -> list[tuple]:
        if "schema_migrations" in sql:
            return [(r[0], r[1], r[2]) for r in self.rows]
        return [(0,)]

    def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if table == "schema_migration_lock":
            return
        assert table == "schema_migrations"
        self.rows.extend(rows)

    def server_version(self) -> str:
        return self.version


def write(folder: Path, name: str, sql: str) -> None:
    (folder / name).write_text(sql)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write(tmp_path, "002_second.sql", "CREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = Log;\n")
    write(tmp_path, "001_first.sql", "-- a comment; with a semicolon\n"
          "CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Log;\n"
          "CREATE TABLE IF NOT EXISTS c (x UInt8) ENGINE = Log;\n")
    write(tmp_path, "003_modern.sql", "-- min-server-version: 20.3\n"
          "ALTER TABLE a MODIFY TTL now();\n")
    return tmp_path


def test_applies_in_number_order_and_records_checksums(folder):
    db = RecordingExecutor()
    report = migrate(db, load_migrations(folder))
    assert report.applied == ["001_first", "002_second"]
    created = [s for s in db.statements if s.startswith("CREATE TABLE IF NOT EXISTS ")]
    assert [s.split()[5] for s in created] == ["schema_migrations", "a", "c", "b"]
    assert [r[0] for r in db.rows] == [1, 2] and all(len(r[2]) == 64 for r in db.rows)
    assert db.lock_statements == ["CREATE", "DROP"]  # applied under the lock, then let go


def test_second_run_does_nothing(folder):
    db = RecordingExecutor()
    migrate(db, load_migrations(folder))
    count = len(db.statements)
    report = migrate(db, load_migrations(folder))
    assert report.applied == [] and report.already == ["001_first", "002_second"]
    assert len(db.statements) == count + 1  # only the CREATE ... schema_migrations check
    assert db.lock_statements == ["CREATE", "DROP"]  # nothing pending: no lock taken


def test_version_gate_skips_without_recording_then_applies_after_upgrade(folder):
    db = RecordingExecutor("18.16.1")
    assert migrate(db, load_migrations(folder)).skipped == ["003_modern"]
    db.version = "24.8.4.13"
    assert migrate(db, load_migrations(folder)).applied == ["003_modern"]


def test_changed_applied_file_is_refused(folder):
    db = RecordingExecutor()
    migrate(db, load_migrations(folder))
    write(folder, "001_first.sql", "CREATE TABLE IF NOT EXISTS a (x UInt16) ENGINE = Log;\n")
    with pytest.raises(MigrationError, match="001_first was changed after it was applied"):
        migrate(db, load_migrations(folder))


@pytest.mark.parametrize("name", ["1_x.sql", "001-x.sql", "001_X.sql"])
def test_bad_file_names_are_refused(tmp_path, name):
    write(tmp_path, name, "SELECT 1;")
    with pytest.raises(MigrationError, match="NNN_snake_name"):
        load_migrations(tmp_path)


def test_duplicate_numbers_are_refused(tmp_path):
    write(tmp_path, "001_a.sql", "SELECT 1;")
    write(tmp_path, "001_b.sql", "SELECT 2;")
    with pytest.raises(MigrationError, match="used twice"):
        load_migrations(tmp_path)


def test_bundled_migrations_load():
    migrations = load_migrations()
    assert [m.id for m in migrations] == sorted(m.id for m in migrations)
    assert migrations[0].name == "core" and len(migrations[0].statements) == 3
    assert version_tuple("18.16.1") < version_tuple("20.3") <= version_tuple("26.9.2.1")


def test_a_guard_runs_its_statement_only_when_its_query_says_so(tmp_path):
    write(tmp_path, "001_rebuild.sql",
          "-- a comment\n"
          "-- if: SELECT 1 AS guard_one\n"
          "CREATE TABLE IF NOT EXISTS a_v7 (x UInt8) ENGINE = Log;\n"
          "-- if: SELECT 0 AS guard_two\n"
          "RENAME TABLE a TO a_v6;\n"
          "DROP TABLE IF EXISTS a_v6;\n")
    (m,) = load_migrations(tmp_path)
    assert m.steps == [
        ("SELECT 1 AS guard_one", "CREATE TABLE IF NOT EXISTS a_v7 (x UInt8) ENGINE = Log"),
        ("SELECT 0 AS guard_two", "RENAME TABLE a TO a_v6"),
        (None, "DROP TABLE IF EXISTS a_v6")]

    class Guarded(RecordingExecutor):
        def query(self, sql: str) -> list[tuple]:
            if "guard_one" in sql:
                return [(1,)]
            if "guard_two" in sql:
                return [(0,)]
            return super().query(sql)

    db = Guarded()
    migrate(db, [m])
    assert [s for s in db.statements if "a_v" in s] == [
        "CREATE TABLE IF NOT EXISTS a_v7 (x UInt8) ENGINE = Log", "DROP TABLE IF EXISTS a_v6"]


# ------------------------------------------------------------------ interrupted, then resumed
# On chdb (ClickHouse 26.9 in-process): a rebuild that changes a column's type, written the way
# 007 writes one (copy, rename out, rename in, drop; each step guarded by the state the previous
# ones leave), then an ADD COLUMN (checked against system.columns). The migrator records a file
# in schema_migrations only once all its statements ran, so a run that stops part-way records
# nothing for that file, and the next run must finish it from the state left behind.
U8 = ("-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() "
      "AND table = 't' AND name = 'x' AND type = 'UInt8'\n")
DROP_COPY = "DROP TABLE IF EXISTS t_v2"
CREATE_COPY = "CREATE TABLE IF NOT EXISTS t_v2 (x UInt16) ENGINE = MergeTree ORDER BY x"
COPY_ROWS = "INSERT INTO t_v2 SELECT x FROM t"
RENAME_OUT = "RENAME TABLE t TO t_v1"
RENAME_IN = "RENAME TABLE t_v2 TO t"
DROP_OLD = "DROP TABLE IF EXISTS t_v1"
ADD_Y = "ALTER TABLE t ADD COLUMN y String DEFAULT 'new'"
REBUILD = [DROP_COPY, CREATE_COPY, COPY_ROWS, RENAME_OUT, RENAME_IN, DROP_OLD, ADD_Y]
STEP_NAMES = dict(zip(REBUILD, ["drop_copy", "create_copy", "copy_rows", "rename_out",
                                "rename_in", "drop_old", "add_y"], strict=True))
FILES = {
    "001_base.sql": "CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = MergeTree ORDER BY x;\n",
    "002_rebuild.sql": (
        "-- x becomes UInt16\n"
        + "".join(U8 + s + ";\n" for s in (DROP_COPY, CREATE_COPY, COPY_ROWS, RENAME_OUT))
        + "-- if: SELECT countIf(name = 't_v2') = 1 AND countIf(name = 't') = 0 "
          "FROM system.tables WHERE database = currentDatabase()\n" + RENAME_IN + ";\n"
        + "-- if: SELECT count() FROM system.columns WHERE database = currentDatabase() "
          "AND table = 't' AND name = 'x' AND type = 'UInt16'\n" + DROP_OLD + ";\n"
        + ADD_Y + ";\n"),
    "003_next.sql": "CREATE TABLE IF NOT EXISTS u (x UInt8) ENGINE = Log;\n",
}


class ConnectionLost(ConnectionError):
    pass


class Interrupted(ChdbExecutor):
    """Loses the connection at one statement: before the server runs it, or after (the server
    ran it but the answer never came back). ``stop_at`` None: loses it at the insert that
    records a migration as applied."""

    def __init__(self, path: str, stop_at: str | None, after: bool) -> None:
        super().__init__(path)
        self.stop_at, self.after, self.armed = stop_at, after, True

    def execute(self, sql: str) -> None:
        hit = self.armed and self.stop_at is not None and " ".join(sql.split()) == self.stop_at
        if hit and not self.after:
            self.armed = False
            raise ConnectionLost(f"before {self.stop_at}")
        super().execute(sql)
        if hit:
            self.armed = False
            raise ConnectionLost(f"after {self.stop_at}")

    def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        if self.armed and self.stop_at is None and rows[0][0] == 2:
            self.armed = False
            raise ConnectionLost("recording 002")
        super().insert(table, columns, rows)


def recorded(db: ChdbExecutor) -> list[tuple]:
    return db.query("SELECT id, name, checksum FROM schema_migrations ORDER BY id")


def sha256(name: str) -> str:
    return hashlib.sha256(FILES[name].encode()).hexdigest()


# (where the connection is lost, before or after the server ran it) -> what the second run
# must execute of 002, read off the guards: the copy is redone from scratch while t is still
# UInt8; once t is gone only the renames-in onwards are left; DROP_OLD's guard holds whenever t
# is UInt16 (and it is IF EXISTS); ADD_Y is skipped once y exists.
RESUMES = [
    (DROP_COPY, False, REBUILD), (DROP_COPY, True, REBUILD),
    (CREATE_COPY, False, REBUILD), (CREATE_COPY, True, REBUILD),
    (COPY_ROWS, False, REBUILD), (COPY_ROWS, True, REBUILD),
    (RENAME_OUT, False, REBUILD), (RENAME_OUT, True, [RENAME_IN, DROP_OLD, ADD_Y]),
    (RENAME_IN, False, [RENAME_IN, DROP_OLD, ADD_Y]), (RENAME_IN, True, [DROP_OLD, ADD_Y]),
    (DROP_OLD, False, [DROP_OLD, ADD_Y]), (DROP_OLD, True, [DROP_OLD, ADD_Y]),
    (ADD_Y, False, [DROP_OLD, ADD_Y]), (ADD_Y, True, [DROP_OLD]),
    (None, False, [DROP_OLD]),  # every statement ran; recording 002 failed
]


@pytest.mark.parametrize("stop_at, after, rerun", RESUMES,
                         ids=[f"{'after' if a else 'before'}-{STEP_NAMES.get(s, 'record')}"
                              for s, a, _ in RESUMES])
def test_an_interrupted_run_records_nothing_and_the_next_one_finishes_once(
        tmp_path, stop_at, after, rerun):
    for name, sql in FILES.items():
        write(tmp_path, name, sql)
    migrations = load_migrations(tmp_path)
    db = Interrupted(str(tmp_path / "chdb"), stop_at, after)
    try:
        assert migrate(db, migrations[:1]).applied == ["001_base"]
        db.execute("INSERT INTO t VALUES (1), (2), (3)")
        db.executed.clear()

        with pytest.raises(ConnectionLost):
            migrate(db, migrations)
        assert recorded(db) == [(1, "base", sha256("001_base.sql"))]
        first = [s for s in db.executed if "schema_migration" not in s]  # and its lock
        stop = len(REBUILD) if stop_at is None else REBUILD.index(stop_at) + after
        assert first == REBUILD[:stop]
        assert "u" not in {r[0] for r in db.query("SHOW TABLES")}  # 003 never started

        db.executed.clear()
        report = migrate(db, migrations)
        assert (report.already, report.applied) == (["001_base"], ["002_rebuild", "003_next"])
        assert [s for s in db.executed if "schema_migration" not in s] == [
            *rerun, "CREATE TABLE IF NOT EXISTS u (x UInt8) ENGINE = Log"]
        assert recorded(db) == [(1, "base", sha256("001_base.sql")),
                                (2, "rebuild", sha256("002_rebuild.sql")),
                                (3, "next", sha256("003_next.sql"))]
        assert db.query("SELECT x, y, toTypeName(x) FROM t ORDER BY x") == [
            (1, "new", "UInt16"), (2, "new", "UInt16"), (3, "new", "UInt16")]
        assert sorted(r[0] for r in db.query("SHOW TABLES")) == ["schema_migrations", "t", "u"]

        db.executed.clear()
        again = migrate(db, migrations)
        assert (again.applied, again.already) == ([], ["001_base", "002_rebuild", "003_next"])
        assert [s for s in db.executed if "schema_migration" not in s] == []
        assert len(recorded(db)) == 3
    finally:
        db.close()


def test_a_lock_released_between_our_create_and_our_read_is_taken_at_once(folder):
    """Another process held the lock when our CREATE ran and dropped it before our SELECT of
    its holder (seen in CI: schema checks started together on an empty database). The lock
    is free then: take it, do not fail on the missing table. A scripted stand-in, since the
    interleaving cannot be forced on a real server."""

    class Released(RecordingExecutor):
        def __init__(self) -> None:
            super().__init__()
            self.creates = 0

        def execute(self, sql: str) -> None:
            if sql.startswith("CREATE TABLE schema_migration_lock"):
                self.creates += 1
                if self.creates == 1:
                    raise RuntimeError("Table t.schema_migration_lock already exists.")
            super().execute(sql)

        def query(self, sql: str) -> list[tuple]:
            if "FROM schema_migration_lock" in sql:
                raise RuntimeError("Code: 60. DB::Exception: Table "
                                   "t.schema_migration_lock doesn't exist..")
            return super().query(sql)

    db = Released()
    report = migrate(db, load_migrations(folder), wait=5.0)
    assert report.applied == ["001_first", "002_second"]
    assert db.creates == 2 and db.lock_statements == ["CREATE", "DROP"]
