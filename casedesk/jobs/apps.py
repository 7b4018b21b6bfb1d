from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "casedesk.jobs"
    label = "casedesk_jobs"
    default_auto_field = "django.db.models.BigAutoField"
