from django.db import models
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (plain text)")


class Outcome(models.TextChoices):
    """What receiving a message did."""

    NEW = "new", _("New case")
    APPENDED = "appended", _("Added to a case")
    REOPENED = "reopened", _("Case reopened")
    IGNORED = "ignored", _("Ignored")
    HELD = "held", _("Held for review")


class IgnoredReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Already received")
    BOUNCE = "bounce", _("Delivery-status report")
    SENDER_LIMIT = "sender_limit", _("Too many new cases from the sender")
    LOOP = "loop", _("From the desk's own address")
    NO_SENDER = "no_sender", _("No sender address")
