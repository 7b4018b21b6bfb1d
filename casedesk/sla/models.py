from __future__ import annotations

import functools
import json
import uuid

from django.db import models
from django.db.models import Q

from casedesk.sla.calendar import BusinessCalendar
from casedesk.sla.choices import Kpi, KpiStatus


class Calendar(models.Model):
    """Business hours (docs/service-levels.md#business-hours). `week` maps `mon`..`sun` to
    `[["HH:MM", "HH:MM"], ...]`; `holidays` is a list of ISO dates. The service validates both
    through `BusinessCalendar.build` before saving."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64)
    week = models.JSONField()
    holidays = models.JSONField(default=list)
    holiday_country = models.CharField(max_length=10, null=True, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.name

    def business_calendar(self) -> BusinessCalendar:
        """The calendar to compute with. Built once per process for the same definition: a
        built calendar keeps the working intervals of the days it was asked about, which the
        next request (the next case's timers) asks about again."""
        return _built_calendar(
            self.time_zone,
            json.dumps(self.week, sort_keys=True),
            tuple(self.holidays or ()),
            self.holiday_country,
        )


@functools.lru_cache(maxsize=256)
def _built_calendar(
    time_zone: str, week: str, holidays: tuple[str, ...], holiday_country: str | None
) -> BusinessCalendar:
    return BusinessCalendar.build(
        time_zone=time_zone,
        week=json.loads(week),
        holidays=holidays,
        holiday_country=holiday_country,
    )


class Sla(models.Model):
    """A service-level agreement (docs/service-levels.md#slas): ordered items, each a KPI with
    its conditions, calendar, warning and failure times and actions. Only an active SLA applies
    to cases, and an active one is read-only. At most one is the default."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=False)
    # Case statuses that stop the clock.
    pause_statuses = models.JSONField(default=list)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="at_most_one_default_sla"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaItem(models.Model):
    """One ordered item of an SLA: for its KPI, the first item whose `conditions` (the language
    of routing rule items, docs/routing.md) hold gives the case's KPI instance. `on_warning` and
    `on_failure` are lists of actions (`{"type": "notify", "to": ...}`, `{"type":
    "set_priority", "value": ...}`, `{"type": "queue", "queue_id": ...}`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sla = models.ForeignKey(Sla, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    kpi = models.CharField(max_length=20, choices=Kpi.choices)
    conditions = models.JSONField(default=list)
    calendar = models.ForeignKey(
        Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="sla_items"
    )
    warn_after_minutes = models.PositiveIntegerField()
    fail_after_minutes = models.PositiveIntegerField()
    on_warning = models.JSONField(default=list)
    on_failure = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sla", "position"], name="sla_item_position"),
            models.UniqueConstraint(fields=["sla", "name"], name="sla_item_name"),
            models.CheckConstraint(
                condition=Q(warn_after_minutes__lte=models.F("fail_after_minutes")),
                name="sla_item_warning_before_failure",
            ),
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class KpiInstance(models.Model):
    """One KPI of one case under the item of its SLA that matched (docs/service-levels.md#on-a-
    case). At most one instance a KPI is in force on a case; cancelled and superseded ones are
    kept, out of force, for the history.

    Times are instants (UTC). `warning_at` and `failure_at` already include the working time
    the case spent paused (`paused_seconds`, working seconds); while paused (`paused_since`)
    they are the times the clock would reach if it resumed now, and nothing fires.
    `due_at` is the next instant the worker must look at the instance (the warning, then the
    failure), null when nothing is left to fire: the timer scan reads only the due instances,
    through the partial index on it. `warned_at` and `failed_at` record that the warning and
    the failure fired (each once).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "casedesk_cases.Case", on_delete=models.CASCADE, related_name="kpi_instances"
    )
    sla = models.ForeignKey(Sla, on_delete=models.PROTECT, related_name="+")
    # The item is kept by name too: editing an inactive SLA replaces its items.
    item = models.ForeignKey(
        SlaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    item_name = models.CharField(max_length=200)
    kpi = models.CharField(max_length=20, choices=Kpi.choices)
    status = models.CharField(max_length=24, choices=KpiStatus.choices)
    in_force = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    warning_at = models.DateTimeField()
    failure_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    paused_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kpi"],
                condition=Q(in_force=True),
                name="one_kpi_instance_in_force",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "kpi"], name="kpi_instance_case_idx"),
            # The timer's scan: only instances with something left to fire.
            models.Index(
                fields=["due_at", "id"],
                condition=Q(due_at__isnull=False),
                name="kpi_instance_due_idx",
            ),
            # Compliance reports (casedesk/sla/reports.py): KPIs met, KPIs missed, by when.
            models.Index(
                fields=["succeeded_at"],
                condition=Q(status=KpiStatus.SUCCEEDED),
                name="kpi_instance_met_idx",
            ),
            models.Index(
                fields=["failure_at"],
                condition=Q(status=KpiStatus.NONCOMPLIANT),
                name="kpi_instance_missed_idx",
            ),
            # The running KPIs nearest their failure (the dashboard's "nearing a breach").
            models.Index(
                fields=["failure_at", "id"],
                condition=Q(
                    in_force=True,
                    status__in=[KpiStatus.IN_PROGRESS, KpiStatus.NEARING_NONCOMPLIANCE],
                ),
                name="kpi_instance_running_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kpi} {self.status}"
