from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "casedesk.directory"
    label = "casedesk_directory"
    verbose_name = "Users and teams"
    default_auto_field = "django.db.models.BigAutoField"
