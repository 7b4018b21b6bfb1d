from datetime import timedelta

from django.apps import AppConfig

# How often the worker sends the notification e-mails that are due (retries, lost jobs).
SEND_SWEEP = timedelta(seconds=30)
# How often old notifications are forgotten.
PRUNE_EVERY = timedelta(hours=6)


class NotificationsConfig(AppConfig):
    name = "casedesk.notifications"
    label = "casedesk_notifications"
    verbose_name = "casedesk notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.cases.services.activities import note_write_hook_add
        from casedesk.cases.services.pipeline import case_write_step_add
        from casedesk.jobs.schedule import periodic_add
        from casedesk.mail.hooks import email_hook_add
        from casedesk.notifications.services import sources
        from casedesk.notifications.services.notify import sla_firings_notify
        from casedesk.notifications.tasks import notification_emails_due, notifications_prune_job
        from casedesk.sla.hooks import sla_firing_hook_add

        case_write_step_add(sources.case_notifications_step)
        email_hook_add(sources.email_notifications_hook)
        note_write_hook_add(sources.note_notifications_hook)
        sla_firing_hook_add(sla_firings_notify)
        periodic_add("notifications.send", notification_emails_due, every=SEND_SWEEP)
        periodic_add("notifications.prune", notifications_prune_job, every=PRUNE_EVERY)
