"""The catalogue of domain errors. Each has a stable code and an HTTP status (docs/api.md)."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal by a business rule. Services raise it; one handler maps it to HTTP."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = "The request cannot be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details: dict[str, Any] = details or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    default_message = "The request is malformed."


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    default_message = "Authentication is required."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "No such record."


class Conflict(DomainError):
    """The record's state forbids the operation; subclasses carry the specific code."""

    status = 409
    code = "conflict"
    default_message = "The record's state forbids this operation."


class ActivityClosed(Conflict):
    code = "activity_closed"
    default_message = "The activity is closed and read-only."


class QueueItemClosed(Conflict):
    code = "queue_item_closed"
    default_message = "The queue item is closed."


class OpenActivities(Conflict):
    code = "open_activities"
    default_message = "The case has open activities."


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    default_message = "This status change is not allowed."


class CaseNotActive(Conflict):
    code = "case_not_active"
    default_message = "The case is not active."


class FirstResponseGiven(Conflict):
    code = "first_response_given"
    default_message = "The first response was already given."


class CaseNotClosed(Conflict):
    code = "case_not_closed"
    default_message = "The case is already active."


class CaseMerged(Conflict):
    code = "case_merged"
    default_message = "A merged case cannot be reactivated."


class CaseHierarchy(Conflict):
    code = "case_hierarchy"
    default_message = "The parent and child relationship is not allowed."


class ChildCasesOpen(Conflict):
    code = "child_cases_open"
    default_message = "The case has active child cases."


class EntitlementExhausted(Conflict):
    code = "entitlement_exhausted"
    default_message = "The entitlement has no terms left."


class EntitlementState(Conflict):
    code = "entitlement_state"
    default_message = "The entitlement's state does not allow this."


class ContractInUse(Conflict):
    code = "contract_in_use"
    default_message = "Cases bill to this contract line."


class RuleSetActive(Conflict):
    code = "rule_set_active"
    default_message = "An active routing rule set is read-only."


class SlaActive(Conflict):
    code = "sla_active"
    default_message = "An active SLA is read-only."


class VersionMismatch(DomainError):
    status = 412
    code = "version_mismatch"
    default_message = "The record has changed since you read it."


class TooLarge(DomainError):
    """The request body is over the size the server reads (`details.max_bytes`)."""

    status = 413
    code = "too_large"
    default_message = "The request body is too large."


class ValidationFailed(DomainError):
    """Valid JSON, invalid values. `fields` maps a field name to a message."""

    status = 422
    code = "validation_error"
    default_message = "Some values are invalid."

    def __init__(
        self,
        fields: dict[str, str] | None = None,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        merged = dict(details or {})
        merged["fields"] = dict(fields or {})
        super().__init__(message, details=merged)


class EntitlementNotApplicable(DomainError):
    status = 422
    code = "entitlement_not_applicable"
    default_message = "The entitlement does not apply to this case."


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = "Too many requests; try again later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, details={"retry_after": self.retry_after})


class Unavailable(DomainError):
    status = 503
    code = "unavailable"
    default_message = "The service is temporarily unavailable."
    # Seconds the answer (API or page) asks the client to wait before sending it again.
    retry_after: ClassVar[int] = 5


# PostgreSQL's SQLSTATEs of a failure that the same request, sent again, would likely not meet:
# a transaction chosen to break a deadlock or a serialization conflict, a lost or refused
# connection, a server shutting down or out of connections.
_RETRYABLE_SQLSTATES = ("40001", "40P01", "08", "57P01", "57P02", "57P03", "53300")
# The same, from engines and drivers that give no SQLSTATE (SQLite, a connection that failed
# before the server answered).
_RETRYABLE_MESSAGES = (
    "database is locked",
    "connection",
    "could not connect",
    "server closed",
    "terminating",
    "timeout",
    "too many clients",
    "unable to open database",
    "deadlock detected",
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` is the database being unreachable, saturated or busy breaking a
    deadlock (answer 503 with Retry-After: the client may send the request again), rather
    than a defect."""
    from django.db import InterfaceError, OperationalError
    from psycopg_pool import PoolTimeout

    if isinstance(exc, PoolTimeout | InterfaceError):
        return True
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_RETRYABLE_SQLSTATES):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return any(marker in text for marker in _RETRYABLE_MESSAGES)
    return False
