from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "casedesk.routing"
    label = "casedesk_routing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.cases.services.pipeline import case_write_step_add
        from casedesk.routing import checks  # noqa: F401  (registers invariants)
        from casedesk.routing.services.items import queue_item_close_on_case_write

        case_write_step_add(queue_item_close_on_case_write)
