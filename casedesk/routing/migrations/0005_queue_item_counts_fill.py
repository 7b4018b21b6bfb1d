"""Fill the queue item counters from the open queue items (docs/routing.md#counters)."""

from typing import Any

from django.db import migrations
from django.db.models import Count, Q


def fill(apps: Any, schema_editor: Any) -> None:
    QueueItem = apps.get_model("casedesk_routing", "QueueItem")
    QueueItemCount = apps.get_model("casedesk_routing", "QueueItemCount")
    rows = (
        QueueItem.objects.filter(state="open")
        .values_list("queue_id")
        .annotate(worked=Count("id", filter=Q(worked_by__isnull=False)), total=Count("id"))
        .values_list("queue_id", "worked", "total")
        .order_by()
    )
    counts = []
    for queue_id, worked, total in rows:
        if worked:
            counts.append(QueueItemCount(queue_id=queue_id, worked=True, shard=0, n=worked))
        if total - worked:
            counts.append(
                QueueItemCount(queue_id=queue_id, worked=False, shard=0, n=total - worked)
            )
    QueueItemCount.objects.bulk_create(counts, batch_size=2000)


def empty(apps: Any, schema_editor: Any) -> None:
    apps.get_model("casedesk_routing", "QueueItemCount").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("casedesk_routing", "0004_queue_item_counts")]

    operations = [migrations.RunPython(fill, empty)]
