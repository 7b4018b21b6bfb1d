"""Whether a backup's schema is one this version of casedesk can take over and migrate.

A backup carries its migration history (the `django_migrations` table). It is accepted when
that history is one this version's migrations could have produced: not empty, every migration
known here (a migration unknown here means a newer version made the backup), every migration's
dependencies recorded before it, and every table that history creates present. Migrations this
version has and the backup lacks are applied afterwards by `casedesk migrate`.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.migrations.loader import MigrationLoader

from casedesk.core.backups.errors import BackupError

Migration = tuple[str, str]  # (app label, migration name)


def pending_migrations(
    *, name: str, applied: Collection[Migration], tables: Collection[str]
) -> int:
    """Return how many of this version's migrations the backup `name` still lacks.

    Raise `BackupError` if its history is empty, holds a migration unknown here, records a
    migration without one it depends on, or promises a table the backup does not have.
    """
    if not applied:
        raise BackupError(
            f"{name} is not a casedesk backup: it has no migration history"
            " (django_migrations is missing or empty)"
        )
    if not any(app.startswith("casedesk_") for app, _ in applied):
        raise BackupError(f"{name} is not a casedesk backup: it has no casedesk migrations")
    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    unknown = sorted(set(applied) - set(loader.disk_migrations))
    if unknown:
        app, migration = unknown[0]
        raise BackupError(
            f"{name} was made by a newer version of casedesk (its migration {app}.{migration}"
            " is unknown to this one); restore it with that version or a later one"
        )
    done = set(applied)
    for key, squashed in loader.replacements.items():
        if all(replaced in done for replaced in squashed.replaces):
            done.add(key)
    nodes = sorted(key for key in done if key in graph.nodes)
    for key in nodes:
        for parent in graph.node_map[key].parents:
            if parent.key not in done:
                raise BackupError(
                    f"{name} has a damaged migration history: {key[0]}.{key[1]} is recorded"
                    f" without {parent.key[0]}.{parent.key[1]}, which it needs"
                )
    state = graph.make_state(nodes=nodes, at_end=True, real_apps=loader.unmigrated_apps)
    expected = {
        model._meta.db_table.lower()
        for model in state.apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    missing = sorted(expected - {table.lower() for table in tables})
    if missing:
        raise BackupError(
            f"{name} is not a complete casedesk backup: {len(missing)} table(s) its migration"
            f" history creates are missing ({missing[0]} ...)"
        )
    return len(set(graph.nodes) - done)
