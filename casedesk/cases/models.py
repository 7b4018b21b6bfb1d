"""The case record and what hangs off it: activities, notes, posts and connections.

Every field of the case and its constraints live in the first migration: SQLite rebuilds a
table for most later changes, and the search index is keyed on the case's `number`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from casedesk.cases.choices import (
    STATUSES_BY_STATE,
    ActivityState,
    ActivityType,
    CaseType,
    Direction,
    Origin,
    ParentClosePolicy,
    Priority,
    Stage,
    State,
    Status,
)
from casedesk.core.constraints import exactly_one
from casedesk.sla.choices import KpiStatus


def _status_matches_state() -> Q:
    condition = Q()
    for state, statuses in STATUSES_BY_STATE.items():
        condition |= Q(state=state, status__in=list(statuses))
    return condition


# Priority from the most urgent: the choices' own order, not the text's (the lists' sort, and
# the index that reads it).
PRIORITY_RANK = models.Case(
    *(models.When(priority=value, then=rank) for rank, value in enumerate(Priority.values)),
    default=len(Priority.values),
    output_field=models.IntegerField(),
)


class CaseNumber(models.Model):
    """The ticket number sequence: one row per number handed out (gaps allowed)."""

    id = models.BigAutoField(primary_key=True)

    def __str__(self) -> str:
        return str(self.id)


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.BigIntegerField(unique=True)
    ticket_number = models.CharField(max_length=40, unique=True)
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    customer_account = models.ForeignKey(
        "casedesk_customers.Account",
        null=True,
        blank=True,
        db_index=False,  # see Meta.indexes
        on_delete=models.PROTECT,
        related_name="cases",
    )
    customer_contact = models.ForeignKey(
        "casedesk_customers.Contact",
        null=True,
        blank=True,
        db_index=False,  # see Meta.indexes
        on_delete=models.PROTECT,
        related_name="cases_as_customer",
    )
    contact = models.ForeignKey(
        "casedesk_customers.Contact",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_contact",
    )
    subject = models.ForeignKey(
        "casedesk_catalog.Subject",
        null=True,
        blank=True,
        db_index=False,  # see Meta.indexes
        on_delete=models.PROTECT,
        related_name="cases",
    )
    product = models.ForeignKey(
        "casedesk_catalog.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PHONE)
    case_type = models.CharField(max_length=10, choices=CaseType.choices, null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.IDENTIFY)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.IN_PROGRESS)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        db_index=False,  # see Meta.indexes
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    owner_team = models.ForeignKey(
        "casedesk_directory.Team",
        null=True,
        blank=True,
        db_index=False,  # see Meta.indexes
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        db_index=False,  # see Meta.indexes
        on_delete=models.PROTECT,
        related_name="children",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        db_index=False,  # see Meta.indexes
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    entitlement = models.ForeignKey(
        "casedesk_entitlements.Entitlement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    decrement_entitlement_terms = models.BooleanField(default=True)
    contract_line = models.ForeignKey(
        "casedesk_entitlements.ContractLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    total_minutes = models.IntegerField(default=0)
    billable_minutes = models.IntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The mailbox the case came from, whose address its e-mails are sent from
    # (docs/email.md#sending); no lookup goes from a mailbox to its cases, so no index.
    mailbox = models.ForeignKey(
        "casedesk_mail.Mailbox",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # When the first e-mail an agent wrote was sent (docs/email.md#first-response).
    first_response_at = models.DateTimeField(null=True, blank=True)
    # The case's service level (docs/service-levels.md#on-a-case), kept by the case-write
    # pipeline: the SLA applied, the failure times of its KPI instances in force and the worst
    # of their statuses.
    sla = models.ForeignKey(
        "casedesk_sla.Sla",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_response_by = models.DateTimeField(null=True, blank=True)
    resolve_by = models.DateTimeField(null=True, blank=True)
    sla_status = models.CharField(max_length=24, null=True, blank=True, choices=KpiStatus.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("customer_account", "customer_contact"),
                name="case_exactly_one_customer",
            ),
            models.CheckConstraint(
                condition=exactly_one("owner_user", "owner_team"),
                name="case_exactly_one_owner",
            ),
            models.CheckConstraint(
                condition=_status_matches_state(), name="case_status_matches_state"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True)
                | Q(state=State.CANCELLED, status=Status.MERGED),
                name="case_merged_into_only_when_merged",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="case_not_own_parent"),
            models.CheckConstraint(
                condition=Q(total_minutes__gte=0, billable_minutes__gte=0),
                name="case_minutes_not_negative",
            ),
            models.CheckConstraint(condition=Q(title__regex=r"\S"), name="case_title_not_blank"),
        ]
        # The customer, subject, owner, parent and merged-into keys have no single-column
        # index of their own (`db_index=False`): these lead with them and serve the same
        # lookups, and every write of a case maintains one index fewer for each.
        indexes = [
            # Lists sorted by the service level's deadlines (docs/service-levels.md#on-a-case).
            models.Index(fields=["state", "resolve_by", "id"], name="case_state_resolve_by_idx"),
            models.Index(
                fields=["sla_status", "resolve_by", "id"],
                condition=Q(sla_status__isnull=False),
                name="case_sla_status_idx",
            ),
            models.Index(fields=["state", "-created_at", "-id"], name="case_state_created_idx"),
            # The web list's sorts by title and by priority (docs/web.md#lists); by number the
            # unique index of `number` serves.
            models.Index(fields=["state", "title", "id"], name="case_state_title_idx"),
            models.Index(
                F("state"),
                PRIORITY_RANK,
                F("created_at").desc(),
                F("id").desc(),
                name="case_state_priority_idx",
            ),
            models.Index(
                fields=["owner_user", "state", "-created_at", "-id"], name="case_owner_user_idx"
            ),
            models.Index(
                fields=["owner_team", "state", "-created_at", "-id"], name="case_owner_team_idx"
            ),
            models.Index(fields=["customer_account", "-created_at"], name="case_account_idx"),
            models.Index(fields=["customer_contact", "-created_at"], name="case_contact_idx"),
            models.Index(fields=["subject", "state", "-created_at"], name="case_subject_idx"),
            models.Index(fields=["-created_at", "-id"], name="case_created_idx"),
            models.Index(fields=["status", "-created_at"], name="case_status_idx"),
            # Almost every case has no parent and was merged into none: indexes over the rest
            # keep statistics that tell the planner a lookup of children is selective.
            models.Index(
                fields=["parent"], condition=Q(parent__isnull=False), name="case_children_idx"
            ),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="case_merged_cases_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} {self.title}"


class Activity(models.Model):
    """A phone call, task, e-mail, appointment, or the resolution written by resolve."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="activities")
    type = models.CharField(max_length=20, choices=ActivityType.choices)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    state = models.CharField(
        max_length=10, choices=ActivityState.choices, default=ActivityState.OPEN
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, null=True, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    scheduled_start = models.DateTimeField(null=True, blank=True)
    scheduled_end = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.IntegerField(null=True, blank=True)
    billed = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Case resolutions only: how the case was resolved, and whether a later reactivation
    # superseded this resolution.
    resolution_type = models.CharField(max_length=24, null=True, blank=True)
    total_minutes = models.IntegerField(null=True, blank=True)
    billable_minutes = models.IntegerField(null=True, blank=True)
    superseded = models.BooleanField(default=False)
    # E-mails only (docs/email.md): the message's headers, its sanitised HTML (the text is the
    # description) and, for outgoing ones, how the sending went. Nullable without defaults, so
    # that adding them is a plain ADD COLUMN on SQLite.
    email_message_id = models.CharField(max_length=255, null=True, blank=True)
    email_from = models.CharField(max_length=320, null=True, blank=True)
    email_to = models.JSONField(null=True, blank=True)
    email_cc = models.JSONField(null=True, blank=True)
    email_html = models.TextField(null=True, blank=True)
    email_in_reply_to = models.CharField(max_length=255, null=True, blank=True)
    email_references = models.JSONField(null=True, blank=True)
    email_status = models.CharField(max_length=10, null=True, blank=True)
    email_error = models.TextField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_mailbox_id = models.UUIDField(null=True, blank=True)
    # Outgoing e-mails only: sending attempts made, when the next is due, until when a
    # worker holds it (docs/email.md#retries), and whether the desk wrote it by itself (an
    # acknowledgement: never a first response).
    email_attempts = models.PositiveIntegerField(null=True, blank=True)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_claimed_until = models.DateTimeField(null=True, blank=True)
    email_automatic = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__gte=0),
                name="activity_duration_not_negative",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(type=ActivityType.CASE_RESOLUTION, superseded=False),
                name="one_live_resolution_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="activity_case_idx"),
            models.Index(fields=["case", "state"], name="activity_case_state_idx"),
            # Threading finds the case of a reply by the message ids it names.
            models.Index(
                fields=["email_message_id"],
                condition=Q(email_message_id__isnull=False),
                name="activity_email_msgid_idx",
            ),
            # The sweep finds the outgoing e-mails due another attempt.
            models.Index(
                fields=["email_next_attempt_at"],
                condition=Q(email_status="queued"),
                name="activity_email_queued_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["case", "-created_at"], name="note_case_idx")]

    def __str__(self) -> str:
        return self.text[:40]


class Post(models.Model):
    """A short message on the case's wall; `author` is null for the system's own posts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="posts")
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(max_length=40, blank=True, default="")
    # A system post's sentence, rendered in each reader's language (casedesk/cases/posts.py).
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["case", "-created_at"], name="post_case_idx")]

    def __str__(self) -> str:
        return self.text[:40]


class Connection(models.Model):
    """A similar case linked to a case, visible from both; `solution_found` marks the answer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="connections_from")
    other = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="connections_to")
    solution_found = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "other"], name="connection_unique_pair"),
            models.CheckConstraint(
                condition=~Q(case=models.F("other")), name="connection_not_to_itself"
            ),
        ]
        indexes = [models.Index(fields=["other"], name="connection_other_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} ~ {self.other_id}"


class ServiceSettings(models.Model):
    """The service configuration (one row): `/config/service`."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    parent_close_policy = models.CharField(
        max_length=12, choices=ParentClosePolicy.choices, default=ParentClosePolicy.INDEPENDENT
    )
    max_child_cases = models.PositiveIntegerField(default=100)
    allow_closed_updates = models.BooleanField(default=False)
    apply_default_entitlement_on_create = models.BooleanField(default=True)
    apply_default_entitlement_on_update = models.BooleanField(default=True)
    transitions_enforced = models.BooleanField(default=False)
    transitions_allowed = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    modified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="service_settings_single")]

    def __str__(self) -> str:
        return "service settings"


class CaseCount(models.Model):
    """How many cases there are of each state, status, priority and owner: the lists' and the
    dashboard's counts, read without scanning the case table (docs/cases.md#counters).

    Kept by the case-write pipeline in the write's transaction (`cases/counters.py`). A key
    has a few rows (`shard`, chosen at random by each write) so that concurrent writes do not
    all wait on one row; a count is the sum of its rows' `n` (a row may be negative)."""

    state = models.CharField(max_length=10, choices=State.choices)
    status = models.CharField(max_length=24, choices=Status.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    owner_type = models.CharField(max_length=4)  # "user" or "team"
    owner_id = models.UUIDField()
    shard = models.PositiveSmallIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["state", "status", "priority", "owner_type", "owner_id", "shard"],
                name="case_count_key",
            )
        ]
        indexes = [
            models.Index(fields=["owner_id", "state"], name="case_count_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.state}/{self.status}/{self.priority}/{self.owner_id}: {self.n}"


class CaseDayCount(models.Model):
    """How many cases were created, and how many of today's resolved cases were resolved, on
    each day (in the site's time zone): the dashboard's chart. Sharded as `CaseCount`."""

    kind = models.CharField(max_length=10)  # "created" or "resolved"
    day = models.DateField()
    shard = models.PositiveSmallIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "day", "shard"], name="case_day_count_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day}: {self.n}"


class SavedView(models.Model):
    """A user's own view of the case list: a name and the list's filters and sort
    (docs/web.md#saved-views)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    query = models.JSONField(default=dict)  # the list's parameters: {"view": "active", ...}
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_per_user")
        ]

    def __str__(self) -> str:
        return self.name
