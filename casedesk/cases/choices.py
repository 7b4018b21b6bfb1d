from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Origin(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")
    IOT = "iot", _("IoT")


class CaseType(models.TextChoices):
    QUESTION = "question", _("Question")
    PROBLEM = "problem", _("Problem")
    REQUEST = "request", _("Request")


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class Stage(models.TextChoices):
    IDENTIFY = "identify", _("Identify")
    RESEARCH = "research", _("Research")
    RESOLVE = "resolve", _("Resolve")


class State(models.TextChoices):
    ACTIVE = "active", _("Active")
    RESOLVED = "resolved", _("Resolved")
    CANCELLED = "cancelled", _("Cancelled")


class Status(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    WAITING_FOR_DETAILS = "waiting_for_details", _("Waiting for details")
    RESEARCHING = "researching", _("Researching")
    PROBLEM_SOLVED = "problem_solved", _("Problem solved")
    INFORMATION_PROVIDED = "information_provided", _("Information provided")
    CANCELLED = "cancelled", _("Cancelled")
    MERGED = "merged", _("Merged")


# The status reasons of each state; the first is the state's default
# (docs/cases.md#states-and-status-reasons).
STATUSES_BY_STATE: dict[str, tuple[str, ...]] = {
    State.ACTIVE: (
        Status.IN_PROGRESS,
        Status.ON_HOLD,
        Status.WAITING_FOR_DETAILS,
        Status.RESEARCHING,
    ),
    State.RESOLVED: (Status.PROBLEM_SOLVED, Status.INFORMATION_PROVIDED),
    State.CANCELLED: (Status.CANCELLED, Status.MERGED),
}
STATE_OF_STATUS: dict[str, str] = {
    status: state for state, statuses in STATUSES_BY_STATE.items() for status in statuses
}


class CustomerType(models.TextChoices):
    ACCOUNT = "account", _("Account")
    CONTACT = "contact", _("Contact")


class OwnerType(models.TextChoices):
    USER = "user", _("User")
    TEAM = "team", _("Team")


class ActivityType(models.TextChoices):
    PHONE_CALL = "phone_call", _("Phone call")
    TASK = "task", _("Task")
    EMAIL = "email", _("E-mail")
    APPOINTMENT = "appointment", _("Appointment")
    CASE_RESOLUTION = "case_resolution", _("Case resolution")


USER_ACTIVITY_TYPES = (
    ActivityType.PHONE_CALL,
    ActivityType.TASK,
    ActivityType.EMAIL,
    ActivityType.APPOINTMENT,
)


class ActivityState(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Direction(models.TextChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")


class EmailStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ParentClosePolicy(models.TextChoices):
    INDEPENDENT = "independent", _("Independent")
    BLOCK = "block", _("Block")
    CASCADE = "cascade", _("Cascade")


class CaseAction(StrEnum):
    """Why a case changed: the `action` of its audit row (never stored on a model field)."""

    CREATE = "create"
    UPDATE = "update"
    ASSIGN = "assign"
    RESOLVE = "resolve"
    CANCEL = "cancel"
    REACTIVATE = "reactivate"
    MERGE = "merge"
    ACTIVITY_COMPLETE = "activity_complete"
    EMAIL = "email"
    QUEUE = "queue"  # the case entered, moved between or left queues (its open queue item)
    ROUTE = "route"  # the active rule set decided where the case goes (also: nowhere)
