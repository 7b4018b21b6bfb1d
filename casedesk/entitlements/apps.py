from django.apps import AppConfig


class EntitlementsConfig(AppConfig):
    name = "casedesk.entitlements"
    label = "casedesk_entitlements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.entitlements import checks  # noqa: F401  (registers invariants)
