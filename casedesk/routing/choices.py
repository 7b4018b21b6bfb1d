from django.db import models
from django.utils.translation import gettext_lazy as _


class QueueType(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class QueueItemState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
