from django.db import models
from django.utils.translation import gettext_lazy as _


class Kpi(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLVE = "resolve", _("Resolution")


class KpiStatus(models.TextChoices):
    """A KPI instance's status (docs/service-levels.md#on-a-case). The order of `WORST` is the
    case's `sla_status`: the worst status among its instances in force."""

    IN_PROGRESS = "in_progress", _("In progress")
    NEARING_NONCOMPLIANCE = "nearing_noncompliance", _("Nearing noncompliance")
    NONCOMPLIANT = "noncompliant", _("Noncompliant")
    SUCCEEDED = "succeeded", _("Succeeded")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")


# Worst first: the case's `sla_status` is the first of these any instance in force has.
WORST: tuple[str, ...] = (
    KpiStatus.NONCOMPLIANT,
    KpiStatus.NEARING_NONCOMPLIANCE,
    KpiStatus.IN_PROGRESS,
    KpiStatus.PAUSED,
    KpiStatus.SUCCEEDED,
)


class ActionType(models.TextChoices):
    NOTIFY = "notify", _("Notify")
    SET_PRIORITY = "set_priority", _("Set the priority")
    QUEUE = "queue", _("Move to a queue")


class NotifyTarget(models.TextChoices):
    OWNER = "owner", _("The owner")
    MANAGER = "manager", _("The owner's managers")
    QUEUE_MEMBERS = "queue_members", _("The queue's members")


class Firing(models.TextChoices):
    WARNING = "warning", _("Warning")
    FAILURE = "failure", _("Failure")
