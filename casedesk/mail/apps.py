from datetime import timedelta

from django.apps import AppConfig

# How often the worker looks for mailboxes due a poll; each mailbox has its own interval.
POLL_SWEEP = timedelta(seconds=15)
# How often the worker sends the queued e-mails that are due (retries have their own
# schedule: casedesk/mail/outgoing.py).
SEND_SWEEP = timedelta(seconds=30)


class MailConfig(AppConfig):
    name = "casedesk.mail"
    label = "casedesk_mail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.jobs.schedule import periodic_add
        from casedesk.mail.tasks import email_send_due, mail_poll_due

        periodic_add("mail.poll", mail_poll_due, every=POLL_SWEEP)
        periodic_add("mail.send", email_send_due, every=SEND_SWEEP)
