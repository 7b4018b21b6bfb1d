from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "casedesk.sla"
    label = "casedesk_sla"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.cases.services.pipeline import case_write_step_add
        from casedesk.jobs.schedule import periodic_add
        from casedesk.sla import checks  # noqa: F401  (registers invariants)
        from casedesk.sla.services.kpis import kpis_on_case_write
        from casedesk.sla.tasks import TICK_EVERY, sla_tick_task

        case_write_step_add(kpis_on_case_write)
        periodic_add("sla.tick", sla_tick_task, every=TICK_EVERY)
