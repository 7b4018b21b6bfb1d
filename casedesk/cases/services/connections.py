"""Connections between similar cases (docs/cases.md): "add connection" and "solution found".

A connection is visible from both cases. Creating it needs the right to change the current
case only: the other case, often resolved, is not changed.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from casedesk.cases.locks import cases_lock_in_id_order
from casedesk.cases.models import Connection
from casedesk.cases.permissions import require_case_change
from casedesk.cases.services.common import require_not_merged, system_post
from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.directory.access import Actor, actor_user


@transaction.atomic
def connection_create(
    *,
    actor: Actor,
    case_id: uuid.UUID,
    other_id: uuid.UUID,
    solution_found: bool = False,
    channel: str = Channel.API,
) -> tuple[Connection, bool]:
    """Connect the case `other_id` to the case `case_id`; with `solution_found`, mark it as the
    solution of this case. Connecting a pair that is already connected (from either side)
    keeps the one connection and only adds the solution mark (a solution found in a case that
    connected this one first gets a connection of its own). Answer `(connection, created)`.

    A merged case owns nothing, so neither side may be one. Refuse with `not_found` (no such
    case), `forbidden` (the actor may not change the case), `case_not_active` (either case is
    merged; `details.merged_into_id` names its master), `validation_error` on `case_id` (no
    such case, the case itself).
    """
    locked = cases_lock_in_id_order(case_ids=[case_id, other_id])
    case = locked.get(case_id)
    if case is None:
        raise NotFound("No such case.")
    require_case_change(actor, case)
    require_not_merged(case)
    other = locked.get(other_id)
    if other is None:
        raise ValidationFailed({"case_id": "no such case"})
    if other.pk == case.pk:
        raise ValidationFailed({"case_id": "a case cannot be connected to itself"})
    require_not_merged(other)
    own = Connection.objects.filter(case=case, other=other).first()
    if own is not None:
        if solution_found and not own.solution_found:
            own.solution_found = True
            own.version += 1
            own.save(update_fields=["solution_found", "version"])
            audit_record(
                actor=actor,
                action="update",
                channel=channel,
                entity=own,
                changes={"solution_found": [False, True]},
            )
            system_post(case, "solution_found", {"ticket": other.ticket_number})
        return own, False
    if not solution_found:
        reverse = Connection.objects.filter(case=other, other=case).first()
        if reverse is not None:  # already connected from the other side: one connection
            return reverse, False
    connection = Connection.objects.create(
        case=case,
        other=other,
        solution_found=solution_found,
        created_by=actor_user(actor),
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=connection,
        changes={
            "case_id": [None, str(case.pk)],
            "other_id": [None, str(other.pk)],
            "solution_found": [None, solution_found],
        },
    )
    if solution_found:
        system_post(case, "solution_found", {"ticket": other.ticket_number})
    else:
        system_post(case, "connected", {"ticket": other.ticket_number})
    return connection, True
