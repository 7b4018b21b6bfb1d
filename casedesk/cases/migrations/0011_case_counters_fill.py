"""Fill the case counters from the cases that exist (docs/cases.md#counters)."""

from collections import Counter
from typing import Any

from django.db import migrations
from django.utils import timezone


def _day(moment: Any) -> Any:
    return None if moment is None else timezone.localtime(moment, timezone.get_default_timezone()).date()


def fill(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("casedesk_cases", "Case")
    CaseCount = apps.get_model("casedesk_cases", "CaseCount")
    CaseDayCount = apps.get_model("casedesk_cases", "CaseDayCount")
    counts: Counter[Any] = Counter()
    days: Counter[Any] = Counter()
    rows = Case.objects.values_list(
        "state", "status", "priority", "owner_user_id", "owner_team_id", "created_at", "resolved_at"
    ).order_by()
    for state, status, priority, user_id, team_id, created_at, resolved_at in rows.iterator(
        chunk_size=5000
    ):
        owner = ("user", user_id) if user_id is not None else ("team", team_id)
        counts[(state, status, priority, *owner)] += 1
        days[("created", _day(created_at))] += 1
        if resolved_at is not None:
            days[("resolved", _day(resolved_at))] += 1
    CaseCount.objects.bulk_create(
        [
            CaseCount(
                state=k[0], status=k[1], priority=k[2], owner_type=k[3], owner_id=k[4], shard=0, n=n
            )
            for k, n in counts.items()
        ],
        batch_size=2000,
    )
    CaseDayCount.objects.bulk_create(
        [CaseDayCount(kind=k[0], day=k[1], shard=0, n=n) for k, n in days.items()],
        batch_size=2000,
    )


def empty(apps: Any, schema_editor: Any) -> None:
    apps.get_model("casedesk_cases", "CaseCount").objects.all().delete()
    apps.get_model("casedesk_cases", "CaseDayCount").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("casedesk_cases", "0010_case_counters")]

    operations = [migrations.RunPython(fill, empty)]
