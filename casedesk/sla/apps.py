from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "casedesk.sla"
    label = "casedesk_sla"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.jobs.schedule import periodic_add
        from casedesk.sla.tasks import TICK_EVERY, sla_tick_task

        periodic_add("sla.tick", sla_tick_task, every=TICK_EVERY)
