from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "casedesk.core"
    label = "casedesk_core"
    verbose_name = "casedesk core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from casedesk.core import checks  # noqa: F401  (registers invariants)
        from casedesk.core.observability import database

        # Connected after Django's own receiver, which hands the connection back to the pool.
        request_finished.connect(database.pool_sample, dispatch_uid="casedesk.pool_sample")
