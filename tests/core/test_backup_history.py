"""Which migration histories a restore accepts (casedesk.core.backups.history), against this
test database's own history and tables."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from casedesk.core.backups.errors import BackupError
from casedesk.core.backups.history import pending_migrations

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied() -> set[tuple[str, str]]:
    return set(MigrationRecorder(connection).applied_migrations())


@pytest.fixture
def tables() -> set[str]:
    return set(connection.introspection.table_names())


def test_a_backup_of_this_version_has_no_pending_migration(
    applied: set[tuple[str, str]], tables: set[str]
) -> None:
    assert pending_migrations(name="b", applied=applied, tables=tables) == 0


def test_the_migrations_a_backup_lacks_are_pending_when_its_history_is_a_prefix(
    applied: set[tuple[str, str]], tables: set[str]
) -> None:
    # The newest migration of an app: what a backup of the version before it lacks.
    newest = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes("casedesk_core")
    older = applied - set(newest)
    assert pending_migrations(name="b", applied=older, tables=tables) == 1


def test_a_backup_is_refused_when_its_history_is_empty(tables: set[str]) -> None:
    with pytest.raises(BackupError, match="not a casedesk backup"):
        pending_migrations(name="b", applied=set(), tables=tables)


def test_a_backup_is_refused_when_its_history_has_no_casedesk_migration(
    applied: set[tuple[str, str]], tables: set[str]
) -> None:
    foreign = {key for key in applied if not key[0].startswith("casedesk_")}
    with pytest.raises(BackupError, match="no casedesk migrations"):
        pending_migrations(name="b", applied=foreign, tables=tables)


def test_a_backup_is_refused_when_a_newer_version_made_it(
    applied: set[tuple[str, str]], tables: set[str]
) -> None:
    newer = applied | {("casedesk_cases", "9999_later")}
    with pytest.raises(BackupError, match=r"newer version .*casedesk_cases\.9999_later"):
        pending_migrations(name="b", applied=newer, tables=tables)


def test_a_backup_is_refused_when_a_migration_is_recorded_without_one_it_needs(
    applied: set[tuple[str, str]], tables: set[str]
) -> None:
    gap = applied - {("casedesk_cases", "0001_initial")}
    with pytest.raises(BackupError, match="damaged migration history"):
        pending_migrations(name="b", applied=gap, tables=tables)


def test_a_backup_is_refused_when_a_table_its_history_creates_is_missing(
    applied: set[tuple[str, str]], tables: set[str]
) -> None:
    with pytest.raises(BackupError, match="casedesk_cases_case"):
        pending_migrations(name="b", applied=applied, tables=tables - {"casedesk_cases_case"})
