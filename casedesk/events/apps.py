from datetime import timedelta

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "casedesk.events"
    label = "casedesk_events"
    verbose_name = "casedesk events and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.cases.services.activities import activity_write_hook_add
        from casedesk.cases.services.pipeline import case_write_step_add
        from casedesk.events import checks  # noqa: F401  (registers the invariants)
        from casedesk.events.outbox import (
            activity_events_write,
            case_event_step,
            email_event_write,
        )
        from casedesk.events.tasks import deliveries_sweep_task
        from casedesk.jobs.schedule import periodic_add
        from casedesk.mail.hooks import email_hook_add

        case_write_step_add(case_event_step)
        activity_write_hook_add(activity_events_write)
        email_hook_add(email_event_write)
        # Retries fall due without anything new being written: the sweep picks them up (the
        # first retry comes 15 s after a failure, docs/webhooks.md#retries).
        periodic_add("webhooks.sweep", deliveries_sweep_task, every=timedelta(seconds=15))
