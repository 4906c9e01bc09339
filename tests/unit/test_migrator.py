"""Migrator logic: ordering, checksums, version gates, idempotence.

These run against a small in-memory stand-in for ClickHouse (no services in unit tests); the
same migrator runs on the real server and on chdb in tests/integration/test_migrations.py.
"""

from pathlib import Path

import pytest

from netargus.store.migrator import MigrationError, load_migrations, migrate, version_tuple


class RecordingExecutor:
    """Remembers statements and the schema_migrations rows; answers what the migrator asks."""

    def __init__(self, version: str = "18.16.1") -> None:
        self.version = version
        self.statements: list[str] = []
        self.rows: list[tuple] = []

    def execute(self, sql: str) -> None:
        self.statements.append(" ".join(sql.split()))

    def query(self, sql: str) -> list[tuple]:
        if "schema_migrations" in sql:
            return [(r[0], r[1], r[2]) for r in self.rows]
        return [(0,)]

    def insert(self, table: str, columns: list[str], rows: list[tuple]) -> None:
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


def test_second_run_does_nothing(folder):
    db = RecordingExecutor()
    migrate(db, load_migrations(folder))
    count = len(db.statements)
    report = migrate(db, load_migrations(folder))
    assert report.applied == [] and report.already == ["001_first", "002_second"]
    assert len(db.statements) == count + 1  # only the CREATE ... schema_migrations check


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
