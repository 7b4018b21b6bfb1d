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


class LedgerReason(models.TextChoices):
    """Why terms were debited or credited: the case event that changed its target."""

    CASE_CREATED = "case_created", _("Case created")
    CASE_UPDATED = "case_updated", _("Case updated")
    CASE_RESOLVED = "case_resolved", _("Case resolved")
    CASE_CANCELLED = "case_cancelled", _("Case cancelled")
    CASE_MERGED = "case_merged", _("Case merged")
    CASE_REACTIVATED = "case_reactivated", _("Case reactivated")
    ENTITLEMENT_CHANGED = "entitlement_changed", _("Entitlement changed")
    CHANNEL_CHANGED = "channel_changed", _("Channel changed")
    DECREMENT_CHANGED = "decrement_changed", _("Do not decrement entitlement terms changed")
    CONTRACT_LINE_CHANGED = "contract_line_changed", _("Contract line changed")
    BILLABLE_CHANGED = "billable_changed", _("Billable time changed")
    ADJUSTMENT = "adjustment", _("Adjustment")
