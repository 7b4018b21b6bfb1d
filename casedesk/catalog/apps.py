from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "casedesk.catalog"
    label = "casedesk_catalog"
    default_auto_field = "django.db.models.BigAutoField"
