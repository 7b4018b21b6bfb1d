from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "casedesk.attachments"
    label = "casedesk_attachments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casedesk.attachments import checks  # noqa: F401  (registers the invariants)
        from casedesk.attachments.services import attachments_follow_merge
        from casedesk.cases.services.pipeline import case_write_step_add

        case_write_step_add(attachments_follow_merge)
