from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "casedesk.sla"
    label = "casedesk_sla"
    default_auto_field = "django.db.models.BigAutoField"
