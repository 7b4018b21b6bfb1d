from __future__ import annotations

import uuid

from django.db import models

from casedesk.sla.calendar import BusinessCalendar


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
        return BusinessCalendar.build(
            time_zone=self.time_zone,
            week=self.week,
            holidays=self.holidays,
            holiday_country=self.holiday_country,
        )
