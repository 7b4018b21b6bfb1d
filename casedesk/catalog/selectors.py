from __future__ import annotations

import uuid

from django.db.models import QuerySet

from casedesk.catalog.models import Product, Subject


def subject_list() -> QuerySet[Subject]:
    return Subject.objects.all()


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def subject_descendant_ids(subject_id: uuid.UUID) -> list[uuid.UUID]:
    """The subject and every subject below it (the tree is small: one query)."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for sid, parent in Subject.objects.values_list("id", "parent_id"):
        children.setdefault(parent, []).append(sid)
    found, stack = [], [subject_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        stack.extend(children.get(current, []))
    return found
