"""Reads of what a user may do now on a case (docs/cases.md, "What a user may do now").

The rules are `casedesk.cases.actions` (pure); these selectors read the facts they need — the
user's right to change the case, the service settings, the case's children, the cases it could
be merged into — in a few queries. The API's `allowed_actions` and every command of the web
case page come from here, so an interface never offers what a service refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db.models import Count, Q

from casedesk.cases import actions, workflow
from casedesk.cases.choices import ParentClosePolicy, State
from casedesk.cases.models import Case, ServiceSettings
from casedesk.cases.permissions import case_change_allowed, cases_changeable
from casedesk.cases.selectors import case_queryset, service_settings
from casedesk.core.statements import Statement
from casedesk.directory.access import has_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User

MERGE_CANDIDATES = 50
_PROBE_COLUMNS = ("id", "parent_id", "ticket_number", "title", "created_at")


def settings_facts(config: ServiceSettings) -> actions.Settings:
    return actions.Settings(
        transitions_enforced=config.transitions_enforced,
        transitions_allowed=config.transitions_allowed,
        allow_closed_updates=config.allow_closed_updates,
        parent_close_policy=config.parent_close_policy,
        max_child_cases=config.max_child_cases,
    )


@dataclass(frozen=True)
class CaseAllowed:
    """What the user may do now on the case."""

    actions: frozenset[str]
    may_change: bool  # the right to change the case at all (permissions.case_change_allowed)
    statuses: list[str]  # the status reasons an edit may set (the current one included)
    resolution_types: list[str]
    merge_candidates: list[Case] = field(default_factory=list)
    child_count: int = 0  # the case's child cases, of every state

    def __contains__(self, action: object) -> bool:
        return action in self.actions

    @property
    def listed(self) -> list[str]:
        """The actions in the order the API lists them."""
        return actions.ordered(self.actions)


def _merge_candidates(
    *,
    user: User,
    case: Case,
    facts: actions.CaseFacts,
    settings: actions.Settings,
    limit: int,
) -> list[Case]:
    """The newest active cases of the same customer that `user` may merge `case` into: the
    user may change them and the hierarchy rules take the pair (`merge_hierarchy_refusal`)."""
    if not actions.may_merge_subordinate(facts, settings):
        return []
    if case.customer_account_id is not None:
        same_customer = Q(customer_account_id=case.customer_account_id)
    else:
        same_customer = Q(customer_contact_id=case.customer_contact_id)
    # One candidate only tells whether merging is possible (the case page's command bar): the
    # columns the rules read are enough. A list of them is shown, so read in full.
    base = Case.objects.only(*_PROBE_COLUMNS) if limit == 1 else case_queryset()
    found = (
        cases_changeable(user, base)
        .filter(same_customer, state=State.ACTIVE)
        .exclude(pk=case.pk)
        .exclude(parent_id=case.pk)
    )
    # What the hierarchy rule decides by the master's parent alone, narrowed in the query.
    if case.parent_id is not None:
        found = found.filter(parent_id=case.parent_id)
    elif facts.child_count:
        found = found.filter(parent_id__isnull=True)
    subordinate = workflow.FamilyFacts(
        id=case.pk, parent_id=case.parent_id, child_count=facts.child_count
    )
    # Newest first, a window at a time, the children counted for the window's cases only: a
    # count over every case of the customer would grow with the customer's history.
    ordered = found.order_by("-created_at", "-id")
    window = 4 * limit
    taken: list[Case] = []
    start = 0
    while len(taken) < limit:
        page = list(ordered[start : start + window])
        counts = dict(
            Case.objects.filter(parent_id__in=[master.pk for master in page])
            .values_list("parent_id")
            .annotate(total=Count("id"))
            .values_list("parent_id", "total")
        )
        for master in page:
            refusal = workflow.merge_hierarchy_refusal(
                subordinate=subordinate,
                master=workflow.FamilyFacts(
                    id=master.pk,
                    parent_id=master.parent_id,
                    child_count=counts.get(master.pk, 0),
                ),
                max_child_cases=settings.max_child_cases,
            )
            if refusal is None:
                taken.append(master)
                if len(taken) == limit:
                    break
        if len(page) < window:
            break
        start += window
    return taken


# The facts of a case's children the rules read; compiled once per process
# (casedesk/core/statements.py).
_CHILDREN = Statement[Case](
    lambda parent_id: Case.objects.filter(parent_id=parent_id).only(
        "id", "state", "status", "owner_user_id", "owner_team_id"
    )
)


def case_allowed(
    *, user: User, case: Case, merge_candidates: int = MERGE_CANDIDATES
) -> CaseAllowed:
    """What `user` may do now on `case`: its actions (`actions.ACTIONS`), the status reasons an
    edit may set, the resolution types and the cases it may be merged into (the newest
    `merge_candidates` of them; the action `merge` needs at least one)."""
    settings = settings_facts(service_settings())
    may_change = case_change_allowed(user, case)
    children = _CHILDREN.run(parent_id=case.pk)
    # Whether the user may change each active child matters only when closing cascades.
    cascades = (
        may_change
        and case.state == State.ACTIVE
        and settings.parent_close_policy == ParentClosePolicy.CASCADE
    )
    child_facts = tuple(
        actions.ChildFacts(
            status=child.status, may_change=cascades and case_change_allowed(user, child)
        )
        for child in children
        if child.state == State.ACTIVE
    )
    facts = actions.CaseFacts(
        state=case.state,
        status=case.status,
        may_change=may_change,
        is_manager=has_role(user, Role.MANAGER),
        parent_id=case.parent_id,
        child_count=len(children),
        active_children=child_facts,
    )
    candidates = _merge_candidates(
        user=user,
        case=case,
        facts=facts,
        settings=settings,
        limit=max(merge_candidates, 1),
    )
    facts = replace(facts, has_merge_candidate=bool(candidates))
    return CaseAllowed(
        actions=actions.allowed_actions(facts, settings),
        may_change=may_change,
        statuses=actions.statuses_now(facts, settings),
        resolution_types=actions.resolution_types(facts, settings),
        merge_candidates=candidates[:merge_candidates],
        child_count=len(children),
    )
