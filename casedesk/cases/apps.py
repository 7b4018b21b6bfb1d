from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casedesk.cases"
    label = "casedesk_cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.cases import checks  # noqa: F401  (registers the invariants)
