"""The service configuration (docs/cases.md, docs/concurrency.md): `/config/service` and
`/config/status-transitions`. Managers change it; it takes effect on the next request on
every worker, as every reader loads the row afresh."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from casedesk.cases import workflow
from casedesk.cases.choices import ParentClosePolicy
from casedesk.cases.locks import service_settings_lock
from casedesk.cases.models import ServiceSettings
from casedesk.core import clock
from casedesk.core.audit import audit_record, diff
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role

SERVICE_FIELDS = (
    "parent_close_policy",
    "max_child_cases",
    "allow_closed_updates",
    "apply_default_entitlement_on_create",
    "apply_default_entitlement_on_update",
)
BOOLEAN_FIELDS = frozenset(SERVICE_FIELDS) - {"parent_close_policy", "max_child_cases"}
MAX_CHILD_CASES_LIMIT = 2**31 - 1


_MANAGERS_ONLY = "Only managers configure the service."


def _values(config: ServiceSettings) -> dict[str, Any]:
    values: dict[str, Any] = {field: getattr(config, field) for field in SERVICE_FIELDS}
    values["transitions_enforced"] = config.transitions_enforced
    values["transitions_allowed"] = config.transitions_allowed
    return values


def _save(
    *, actor: Actor, config: ServiceSettings, before: dict[str, Any], channel: str
) -> ServiceSettings:
    changes = diff(before, _values(config))
    if not changes:
        return config
    config.version += 1
    config.modified_at = clock.now()
    config.save()
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=config,
        entity_type="service_settings",
        changes=changes,
    )
    return config


@transaction.atomic
def service_settings_update(
    *,
    actor: Actor,
    changes: Mapping[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> ServiceSettings:
    """Apply a merge patch to the service settings: `parent_close_policy`, `max_child_cases`,
    `allow_closed_updates` and the default-entitlement switches.

    Refuse with `version_mismatch`, `forbidden` (not a manager) or `validation_error` (an
    unknown field, a cleared field, a bad value).
    """
    config = service_settings_lock()
    check_version(expected_version, config.version)
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    problems: dict[str, str] = {}
    for field in sorted(set(changes) - set(SERVICE_FIELDS)):
        problems[field] = "is not a writable field"
    for field, value in changes.items():
        if field not in SERVICE_FIELDS:
            continue
        if value is None:
            problems[field] = "may not be cleared"
        elif field == "parent_close_policy" and value not in ParentClosePolicy.values:
            problems[field] = "must be one of " + ", ".join(ParentClosePolicy.values)
        elif field == "max_child_cases" and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= MAX_CHILD_CASES_LIMIT
        ):
            problems[field] = "must be a whole number, at least 0"
        elif field in BOOLEAN_FIELDS and not isinstance(value, bool):
            problems[field] = "must be true or false"
    if problems:
        raise ValidationFailed(problems)
    before = _values(config)
    for field, value in changes.items():
        setattr(config, field, value)
    return _save(actor=actor, config=config, before=before, channel=channel)


@transaction.atomic
def status_transitions_set(
    *,
    actor: Actor,
    enforced: bool,
    allowed: Mapping[str, Sequence[str]],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> ServiceSettings:
    """Replace the status reason transitions map and whether it is enforced.

    Every key and target must be a status; when enforced, every active status must reach a
    resolved or cancelled status. Duplicate targets are dropped; the order is kept.

    Refuse with `version_mismatch`, `forbidden` (not a manager) or `validation_error` (naming
    `allowed.<status>`).
    """
    config = service_settings_lock()
    check_version(expected_version, config.version)
    require_role(actor, Role.MANAGER, _MANAGERS_ONLY)
    problems = workflow.transitions_map_problems(allowed, enforced=enforced)
    if problems:
        raise ValidationFailed(problems, "The status transitions are invalid.")
    before = _values(config)
    config.transitions_enforced = bool(enforced)
    config.transitions_allowed = {
        source: list(dict.fromkeys(targets)) for source, targets in allowed.items()
    }
    return _save(actor=actor, config=config, before=before, channel=channel)
