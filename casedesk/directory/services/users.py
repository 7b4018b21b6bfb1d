"""Users: create, change, deactivate and reactivate, set a password, choose a language."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.directory.access import Actor, actor_user_id, has_role, require_role
from casedesk.directory.choices import Role
from casedesk.directory.locks import directory_lock, tokens_live_lock, user_language_lock, user_lock
from casedesk.directory.models import ApiToken, Team, User
from casedesk.directory.services.common import (
    ADMINS_ONLY,
    email_problem,
    text_problem,
    touch_teams,
    username_problem,
    validate_password,
)

# The fields of a user that `user_update` changes (`team_ids` replaces the user's teams).
USER_WRITABLE = ("full_name", "email", "role", "language", "is_active", "team_ids")


def _language_problem(language: Any) -> str | None:
    codes = {code for code, _name in settings.LANGUAGES}
    if language and language not in codes:
        return f"must be one of {', '.join(sorted(codes))}"
    return None


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    role: str = Role.AGENT,
    full_name: str = "",
    email: str = "",
    team_ids: Sequence[uuid.UUID] = (),
    team_names: Sequence[str] = (),
    channel: str = Channel.API,
) -> User:
    """Create a user with `role`, joining the named teams (created when missing by name).

    Refuse with `forbidden` unless the actor is an administrator (`SYSTEM`: the command
    line's operator), and with `validation_error` for a name that is taken or holds control or
    invisible characters (`username_problem`), an unknown role or team, an e-mail that is not
    an address, or a password that fails the password policy (docs/security.md).
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    problem = username_problem(username)
    if problem:
        raise ValidationFailed({"username": problem})
    directory_lock()
    if role not in Role.values:
        raise ValidationFailed({"role": f"must be one of {', '.join(Role.values)}"})
    problem = email_problem(email)
    if problem:
        raise ValidationFailed({"email": problem})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed({"username": "this user name is taken"})
    user = User(username=username, role=role, full_name=full_name, email=email)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    teams = list(Team.objects.filter(id__in=list(team_ids)))
    if len(teams) != len(set(team_ids)):
        raise ValidationFailed({"team_ids": "names a team that does not exist"})
    touch_teams(t.pk for t in teams)
    for name in team_names:
        team, created = Team.objects.get_or_create(name=name)
        if created:
            audit_record(
                actor=actor,
                action="create",
                channel=channel,
                entity=team,
                changes={"name": [None, name]},
            )
        else:
            touch_teams([team.pk])
        teams.append(team)
    user.teams.add(*teams)
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=user,
        changes={
            "username": [None, username],
            "role": [None, role],
            "team_ids": [None, sorted(str(t.id) for t in teams)],
        },
    )
    return user


def _state(user: User) -> dict[str, Any]:
    return {
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "language": user.language,
        "is_active": user.is_active,
        "team_ids": sorted(str(t) for t in user.teams.values_list("id", flat=True)),
    }


def _apply(user: User, changes: Mapping[str, Any]) -> tuple[list[Team] | None, dict[str, str]]:
    """Set the changed fields on `user`; return its new teams (None: unchanged) and the
    problems found, field by field."""
    problems: dict[str, str] = {}
    for name in sorted(set(changes) - set(USER_WRITABLE)):
        problems[name] = "is not a writable field"
    for name in ("full_name", "email"):
        if name in changes:
            value = changes[name] if changes[name] is not None else ""
            problem = email_problem(value) if name == "email" else text_problem(value, 200)
            if problem:
                problems[name] = problem
            else:
                setattr(user, name, value)
    if "role" in changes:
        if changes["role"] is None:
            problems["role"] = "may not be cleared"
        elif changes["role"] not in Role.values:
            problems["role"] = f"must be one of {', '.join(Role.values)}"
        else:
            user.role = changes["role"]
    if "language" in changes:
        language = changes["language"] or ""
        problem = _language_problem(language)
        if problem:
            problems["language"] = problem
        else:
            user.language = language
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            problems["is_active"] = "must be true or false"
        else:
            user.is_active = changes["is_active"]
    teams: list[Team] | None = None
    if "team_ids" in changes:
        wanted = set(changes["team_ids"] or [])
        teams = list(Team.objects.filter(id__in=list(wanted)))
        if len(teams) != len(wanted):
            problems["team_ids"] = "names a team that does not exist"
    return teams, problems


def _keeps_an_administrator(*, actor: Actor, user: User, was_active_admin: bool) -> None:
    """Refuse a change that would lock the organisation out of its own administration."""
    if actor_user_id(actor) == user.pk and not user.is_active:
        raise ValidationFailed({"is_active": "an administrator cannot deactivate themselves"})
    if not was_active_admin or (user.is_active and has_role(user, Role.ADMIN)):
        return
    others = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if others.exists():
        return
    if not user.is_active:
        raise ValidationFailed({"is_active": "the last active administrator cannot be deactivated"})
    raise ValidationFailed({"role": "the last active administrator must stay an administrator"})


@transaction.atomic
def user_update(
    *,
    actor: Actor,
    user_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> User:
    """Change a user's `full_name`, `email`, `role`, `language` ("" follows the browser),
    `is_active` and teams (`team_ids` replaces the list): a merge patch, where `null` clears a
    text field.

    A deactivated user cannot sign in; their web sessions end and their API tokens are revoked,
    for good: a reactivated user signs in again and needs new tokens (the sessions and tokens
    issued before the deactivation stay dead). The cases they own stay theirs.

    Administrators only (`SYSTEM`: the command line's operator). Refuse with `forbidden`,
    `not_found`, `version_mismatch`, and `validation_error` for an unknown or cleared field, a
    bad value, an unknown team, an administrator deactivating themselves, or a change that
    would leave no active administrator.
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    directory_lock()
    user = user_lock(user_id)
    check_version(expected_version, user.version)
    was_active_admin = user.is_active and has_role(user, Role.ADMIN)
    before = _state(user)
    teams, problems = _apply(user, changes)
    if problems:
        raise ValidationFailed(problems)
    _keeps_an_administrator(
        actor=actor,
        user=user,
        was_active_admin=was_active_admin,
    )
    if teams is not None:
        after_teams = sorted(str(t.pk) for t in teams)
        moved = set(before["team_ids"]) ^ set(after_teams)
        if moved:
            user.teams.set(teams)
            touch_teams(uuid.UUID(t) for t in moved)
    after = _state(user)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changed:
        return user
    user.version += 1
    deactivated = bool(before["is_active"]) and not user.is_active
    if deactivated:
        user.deactivated_at = clock.now()
    user.save(
        update_fields=[
            "full_name",
            "email",
            "role",
            "language",
            "is_active",
            "deactivated_at",
            "version",
        ]
    )
    audit_record(actor=actor, action="update", channel=channel, entity=user, changes=changed)
    if deactivated:
        _tokens_revoke_all(actor=actor, user=user, channel=channel)
    return user


def _tokens_revoke_all(*, actor: Actor, user: User, channel: str) -> None:
    """Revoke the user's live API tokens (a deactivation): a later reactivation does not bring
    them back. Each revocation is audited as `token_revoke`."""
    now = user.deactivated_at or clock.now()
    live = tokens_live_lock(user)
    ApiToken.objects.filter(pk__in=[t.pk for t in live]).update(revoked_at=now)
    for token in live:
        audit_record(
            actor=actor,
            action="token_revoke",
            channel=channel,
            entity=token,
            entity_type="api_token",
            changes={"revoked_at": [None, now]},
            details={"reason": "user_deactivated"},
        )


@transaction.atomic
def user_set_password(
    *,
    actor: Actor,
    user_id: uuid.UUID,
    password: str,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> User:
    """Give a user a new password. Their signed-in sessions end; their API tokens stay valid.

    Administrators only. Refuse with `forbidden`, `not_found`, `version_mismatch`, and
    `validation_error` for a password that fails the password policy (docs/security.md#passwords).
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    user = user_lock(user_id)
    check_version(expected_version, user.version)
    validate_password(password, user)
    user.set_password(password)
    user.version += 1
    user.save(update_fields=["password", "version"])
    # The audit keeps that the password changed, never the password or its hash.
    audit_record(actor=actor, action="password_set", channel=channel, entity=user)
    return user


def user_for_cli(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def user_summary(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": str(user.pk), "name": user.display_name}


@transaction.atomic
def user_language_set(*, actor: User, language: str, channel: str = Channel.UI) -> User:
    """Set the caller's user interface language ("" follows the browser).

    Refuse with `validation_error` for a language the product does not speak.
    """
    problem = _language_problem(language)
    if problem:
        raise ValidationFailed({"language": problem})
    user = user_language_lock(actor.pk)
    if user.language != language:
        before = user.language
        user.language = language
        user.version += 1
        user.save(update_fields=["language", "version"])
        audit_record(
            actor=actor,
            action="update",
            channel=channel,
            entity=user,
            changes={"language": [before, language]},
        )
    return user
