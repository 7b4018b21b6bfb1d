"""Every row lock of `cases`, in the global lock order of docs/concurrency.md.

A write locks, in this order: the case it names (two named cases: in id order); then the
other cases of its family (a parent, or children in id order); then the case's activities.
Queue items, entitlements and contract lines come after all of these (routing and the ledger
lock them inside the case-write pipeline). On PostgreSQL these are `SELECT … FOR UPDATE`; on
SQLite the transaction already holds the database's only write lock and they lock nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.db import connection
from django.db.models import QuerySet

from casedesk.cases.choices import ActivityState, ActivityType, State
from casedesk.cases.models import Activity, Case, SavedView, ServiceSettings
from casedesk.core.errors import NotFound
from casedesk.directory.models import User


def service_settings_lock() -> ServiceSettings:
    """The service configuration's one row, locked (a change of the settings locks nothing
    else)."""
    found = ServiceSettings.objects.select_for_update().filter(id=1).first()
    if found is None:  # a database created before the row existed
        found, _ = ServiceSettings.objects.get_or_create(id=1)
    return found


def case_lock(*, case_id: uuid.UUID) -> Case:
    """The case, locked for update until the end of the caller's transaction (`not_found`)."""
    case = Case.objects.select_for_update().filter(id=case_id).first()
    if case is None:
        raise NotFound("No such case.")
    return case


def cases_lock_in_id_order(*, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Case]:
    """The cases found among `case_ids` (a merge's or a connection's two), locked in id
    order, so two requests naming the same two cases wait instead of deadlocking."""
    qs = Case.objects.select_for_update().filter(id__in=list(case_ids)).order_by("id")
    return {case.pk: case for case in qs}


def case_parent_lock(*, parent_id: uuid.UUID) -> Case | None:
    """The parent a case is given, locked (after the case itself, when it exists)."""
    return Case.objects.select_for_update().filter(id=parent_id).first()


def _locked_in_id_order(queryset: QuerySet[Case]) -> list[Case]:
    """Lock the rows in id order. PostgreSQL takes row locks in scan order, so the database
    sorts. SQLite has no row locks (its transaction holds the write lock) and, with statistics
    showing `parent_id` mostly NULL, would answer `ORDER BY id` by walking the whole table in
    key order: there the few rows are sorted here instead."""
    if connection.vendor == "sqlite":
        return sorted(queryset, key=lambda case: case.pk)
    return list(queryset.order_by("id"))


def case_children_lock(case: Case, *, active_only: bool = False) -> list[Case]:
    """The case's children (only the active ones with `active_only`), locked in id order
    after the parent, which the caller holds."""
    queryset = Case.objects.select_for_update().filter(parent_id=case.pk)
    if active_only:
        queryset = queryset.filter(state=State.ACTIVE)
    return _locked_in_id_order(queryset)


def activities_open_lock(case: Case) -> list[Activity]:
    """The case's open activities, locked in creation order (after the case)."""
    return list(
        Activity.objects.select_for_update()
        .filter(case_id=case.pk, state=ActivityState.OPEN)
        .order_by("created_at", "id")
    )


def activities_unbilled_lock(case: Case) -> list[Activity]:
    """The case's completed, unbilled activities a resolution counts, locked in id order."""
    return list(
        Activity.objects.select_for_update()
        .filter(case_id=case.pk, state=ActivityState.COMPLETED, billed=False)
        .exclude(type=ActivityType.CASE_RESOLUTION)
        .order_by("id")
    )


def activity_lock(activity_id: uuid.UUID) -> tuple[Case, Activity]:
    """The activity and its case, locked case first (the order every case write uses). A merge
    may move the activity between reading its case and locking it: then look again."""
    for _attempt in range(3):
        case_id = Activity.objects.filter(id=activity_id).values_list("case_id", flat=True).first()
        if case_id is None:
            raise NotFound("No such activity.")
        case = case_lock(case_id=case_id)
        activity = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("owner")
            .filter(id=activity_id)
            .first()
        )
        if activity is None:
            raise NotFound("No such activity.")
        if activity.case_id == case.pk:
            return case, activity
    raise NotFound("No such activity.")  # pragma: no cover - moved three times in a row


def saved_views_lock(user_id: uuid.UUID) -> None:
    """The user's row, locked while one of the user's saved views is added: two saves at once
    cannot both pass the limit of views (nothing else of cases is locked with it)."""
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk"))


def saved_view_lock(user_id: uuid.UUID, view_id: uuid.UUID) -> SavedView:
    """One of the user's saved views, locked; `not_found` for another user's view too."""
    found = SavedView.objects.select_for_update().filter(id=view_id, user_id=user_id).first()
    if found is None:
        raise NotFound("No such saved view.")
    return found
