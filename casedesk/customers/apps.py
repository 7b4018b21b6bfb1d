from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "casedesk.customers"
    label = "casedesk_customers"
    default_auto_field = "django.db.models.BigAutoField"
