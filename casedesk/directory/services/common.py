"""What the directory's writes share: who may make them, the checks of values."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import F

from casedesk.core.errors import ValidationFailed
from casedesk.directory.models import Team, User

# Why an agent or a manager is refused a change of users and teams (`require_role`).
ADMINS_ONLY = "Only administrators manage users and teams."


def validate_password(password: str, user: User) -> None:
    """Refuse with `validation_error` a password that fails the password policy
    (docs/security.md#passwords)."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed({"password": " ".join(exc.messages)}) from exc


def text_problem(value: Any, max_length: int) -> str | None:
    """Why `value` cannot be stored in a text column of `max_length` characters, or None."""
    if not isinstance(value, str):
        return "must be text"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if "\x00" in value:
        return "must not contain NUL characters"
    return None


USERNAME_MAX = 150
# Unicode categories a user name may not hold: controls (newlines, tabs, escapes), format
# characters (bidi overrides and isolates, zero-width spaces and joiners, the byte-order
# mark), surrogates, private-use and unassigned code points, line and paragraph separators.
_USERNAME_REFUSED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def username_problem(value: Any) -> str | None:
    """Why `value` cannot be a user name, or None: the one rule of every path that creates or
    renames a user. A name is shown in lists, logs and the command line's output, so it must
    print as what it is: no control or invisible characters, no space but the plain one, and
    none at either end."""
    problem = text_problem(value, USERNAME_MAX)
    if problem:
        return problem
    if not value:
        return "must not be empty"
    if value != value.strip(" "):
        return "must not begin or end with a space"
    for char in value:
        category = unicodedata.category(char)
        if category in _USERNAME_REFUSED or (category == "Zs" and char != " "):
            return "must not contain control or invisible characters"
    return None


def email_problem(value: Any) -> str | None:
    """Why `value` is not an e-mail address (or empty), or None."""
    problem = text_problem(value, 254)
    if problem or not value:
        return problem
    try:
        validate_email(value)
    except DjangoValidationError:
        return "is not a valid e-mail address"
    return None


def touch_users(user_ids: Iterable[uuid.UUID]) -> None:
    """A user's record lists their teams: bump the version of each user whose teams changed."""
    ids = list(user_ids)
    if ids:
        User.objects.filter(pk__in=ids).update(version=F("version") + 1)


def touch_teams(team_ids: Iterable[uuid.UUID]) -> None:
    """A team's record lists its members: bump the version of each team whose members changed."""
    ids = list(team_ids)
    if ids:
        Team.objects.filter(pk__in=ids).update(version=F("version") + 1)
