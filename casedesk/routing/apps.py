from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "casedesk.routing"
    label = "casedesk_routing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.routing import checks  # noqa: F401  (registers invariants)
