from django.apps import AppConfig, apps


class SearchConfig(AppConfig):
    name = "casedesk.search"
    label = "casedesk_search"
    verbose_name = "casedesk search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from casedesk.search import checks  # noqa: F401  (registers invariants)

        # Django sends post_migrate (after `migrate` and after a flush) only for applications
        # with a models module, which this one has not: its tables are made by its migration.
        # The cases application's signal comes after every table is flushed or migrated.
        post_migrate.connect(
            _clear_when_flushed,
            sender=apps.get_app_config("casedesk_cases"),
            dispatch_uid="casedesk_search_clear_when_flushed",
        )


def _clear_when_flushed(using: str = "default", **kwargs: object) -> None:
    """A flushed database (test isolation) deletes records without the services: empty the
    index tables whose records are all gone, so no orphan rows outlive them."""
    from django.db import connections

    from casedesk.search.rebuild import clear_when_records_gone

    connection = connections[using]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    if {"search_case_fts", "search_case_doc"} & tables:
        clear_when_records_gone(connection)
