from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casedesk.cases"
    label = "casedesk_cases"
    default_auto_field = "django.db.models.BigAutoField"
