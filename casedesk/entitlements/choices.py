from django.db import models
from django.utils.translation import gettext_lazy as _


class EntitlementState(models.TextChoices):
    """Stored states; `waiting` and `expired` derive from the dates of an active one."""

    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


class ShownState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    WAITING = "waiting", _("Waiting")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class AllocationType(models.TextChoices):
    CASES = "cases", _("Number of cases")
    HOURS = "hours", _("Number of hours")


class DecreaseOn(models.TextChoices):
    CREATION = "creation", _("Case creation")
    RESOLUTION = "resolution", _("Case resolution")


class AllotmentType(models.TextChoices):
    CASES = "cases", _("Number of cases")
    MINUTES = "minutes", _("Time (minutes)")
    COVERAGE_DATES = "coverage_dates", _("Coverage dates")
