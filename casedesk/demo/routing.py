"""Demo queues with members and items, and an active routing rule set that routed some cases."""

from __future__ import annotations

from casedesk.cases.choices import State
from casedesk.cases.models import Case
from casedesk.cases.services.common import Ref
from casedesk.core.choices import Channel
from casedesk.directory.models import Team, User
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem
from casedesk.routing.services import items, queues, rule_sets
from casedesk.routing.services.routing import case_route


def load(users: dict[str, User]) -> dict[str, int]:
    manager = users["manager"]
    tier1 = queues.queue_create(
        actor=manager,
        name="Supporto Tier 1",
        type="public",
        member_ids=[users["agent"].pk, users["luca"].pk],
        channel=Channel.CLI,
    )
    tier2 = queues.queue_create(
        actor=manager,
        name="Supporto Tier 2",
        type="private",
        member_ids=[users["sara"].pk, manager.pk],
        channel=Channel.CLI,
    )
    billing = queues.queue_create(
        actor=manager,
        name="Fatturazione",
        type="private",
        member_ids=[users["paolo"].pk],
        channel=Channel.CLI,
    )
    queues.queue_create(actor=manager, name="Richieste web", type="public", channel=Channel.CLI)
    billing_team = Team.objects.filter(name="Fatturazione").first()
    owner = Ref("team", billing_team.pk) if billing_team else Ref("user", users["paolo"].pk)
    standard = rule_sets.rule_set_create(
        actor=manager,
        name="Instradamento standard",
        items=[
            rule_sets.RuleItemSpec(
                name="Priorità alta",
                conditions=[{"field": "priority", "op": "eq", "value": "high"}],
                queue_id=tier2.pk,
            ),
            rule_sets.RuleItemSpec(
                name="Fatturazione",
                conditions=[
                    {"field": "title", "op": "contains", "value": "fattura"},
                    {"field": "customer.type", "op": "eq", "value": "account"},
                ],
                owner=owner,
            ),
            rule_sets.RuleItemSpec(
                name="Canali digitali",
                conditions=[{"field": "origin", "op": "in", "value": ["email", "web", "chat"]}],
                queue_id=tier1.pk,
            ),
        ],
        channel=Channel.CLI,
    )
    rule_sets.rule_set_create(
        actor=manager,
        name="Instradamento estivo (bozza)",
        items=[
            rule_sets.RuleItemSpec(name="Tutto a Tier 1", conditions=[], queue_id=tier1.pk),
        ],
        channel=Channel.CLI,
    )
    rule_sets.rule_set_activate(actor=manager, rule_set_id=standard.pk, channel=Channel.CLI)
    active = list(Case.objects.filter(state=State.ACTIVE).order_by("number"))
    routed = 0
    for case in active[:12]:
        result = case_route(actor=manager, case_id=case.pk, channel=Channel.CLI)
        routed += int(result.routed)
    queued = 0
    for case in active[12:18]:
        items.queue_item_add(
            actor=manager,
            case_id=case.pk,
            queue_id=(billing if "fattur" in case.title.lower() else tier1).pk,
            channel=Channel.CLI,
        )
        queued += 1
    first = (
        QueueItem.objects.filter(queue=tier1, state=QueueItemState.OPEN)
        .order_by("entered_on", "id")
        .values_list("id", flat=True)
        .first()
    )
    if first is not None:
        items.queue_item_pick(actor=users["agent"], item_id=first, channel=Channel.CLI)
    return {"queues": 4, "routing rule sets": 2, "routed cases": routed, "queued cases": queued}
