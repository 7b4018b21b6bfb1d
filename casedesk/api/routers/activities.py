from __future__ import annotations

from typing import Any

from ninja import Router

from casedesk.cases.models import Activity

router = Router(tags=["activities"])


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def activity_out(activity: Activity) -> dict[str, Any]:
    owner = activity.owner
    return {
        "id": str(activity.id),
        "case_id": str(activity.case_id),
        "type": activity.type,
        "subject": activity.subject,
        "description": activity.description,
        "state": activity.state,
        "direction": activity.direction,
        "due": _iso(activity.due),
        "scheduled_start": _iso(activity.scheduled_start),
        "scheduled_end": _iso(activity.scheduled_end),
        "duration_minutes": activity.duration_minutes,
        "billed": activity.billed,
        "owner": {"id": str(owner.pk), "name": owner.display_name} if owner else None,
        "created_at": activity.created_at.isoformat(),
        "closed_at": _iso(activity.closed_at),
        "resolution_type": activity.resolution_type,
        "total_minutes": activity.total_minutes,
        "billable_minutes": activity.billable_minutes,
        "superseded": activity.superseded,
        "version": activity.version,
    }
