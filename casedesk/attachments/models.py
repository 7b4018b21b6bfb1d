"""An attachment: a file in the storage, named by the record's id, and what it hangs on."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

STORAGE_PREFIX = "attachments"


class Attachment(models.Model):
    """A file on a case, one of its e-mails or notes, or (uploaded without a case, or kept
    from an e-mail held for review) on nothing yet."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "casedesk_cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    activity = models.ForeignKey(
        "casedesk_cases.Activity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    note = models.ForeignKey(
        "casedesk_cases.Note",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    # An image an e-mail's HTML shows in place (`cid:` reference).
    content_id = models.CharField(max_length=255, blank=True, default="")
    inline = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="attachment_size_not_negative"),
            models.CheckConstraint(
                condition=Q(activity__isnull=True) | Q(note__isnull=True),
                name="attachment_on_one_record",
            ),
        ]
        indexes = [models.Index(fields=["case", "created_at"], name="attachment_case_idx")]

    def __str__(self) -> str:
        return self.filename

    @property
    def storage_name(self) -> str:
        return storage_name(self.pk)


def storage_name(attachment_id: uuid.UUID) -> str:
    """Where the file of `attachment_id` lives in the storage: named by the id alone."""
    return f"{STORAGE_PREFIX}/{attachment_id.hex[:2]}/{attachment_id}"
