from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "casedesk.core"
    label = "casedesk_core"
    verbose_name = "casedesk core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.core import checks  # noqa: F401  (registers invariants)
