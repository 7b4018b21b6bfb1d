from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "casedesk.web"
    label = "casedesk_web"
    verbose_name = "Web UI"
