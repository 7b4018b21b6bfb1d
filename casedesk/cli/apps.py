from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "casedesk.cli"
    label = "casedesk_cli"
    verbose_name = "Command line"
