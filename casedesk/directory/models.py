from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils.crypto import salted_hmac

from casedesk.directory.choices import Role


def display_name(full_name: str, first_name: str, last_name: str, username: str) -> str:
    """How a user is named to others: the full name, else first and last name, else the
    user name. `display_name_sql` is the same rule in SQL."""
    return full_name or f"{first_name} {last_name}".strip(" ") or username


def display_name_sql(prefix: str = "") -> Coalesce:
    """`display_name` as a database expression over the user fields at `prefix`."""
    full = NullIf(F(f"{prefix}full_name"), Value(""))
    first_last = Trim(Concat(F(f"{prefix}first_name"), Value(" "), F(f"{prefix}last_name")))
    return Coalesce(full, NullIf(first_last, Value("")), F(f"{prefix}username"))


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = models.CharField(max_length=200, blank=True, default="")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    language = models.CharField(max_length=8, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    # When the user was last deactivated: the sessions and API tokens issued before it stay
    # dead after a reactivation (`get_session_auth_hash`, `token_authenticate`).
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            )
        ]

    @property
    def display_name(self) -> str:
        return display_name(self.full_name, self.first_name, self.last_name, self.username)

    # For templates; code asks `casedesk.directory.access.has_role`, where the roles' order is.
    @property
    def is_manager(self) -> bool:
        from casedesk.directory.access import has_role

        return has_role(self, Role.MANAGER)

    @property
    def is_admin(self) -> bool:
        from casedesk.directory.access import has_role

        return has_role(self, Role.ADMIN)

    # Django keeps a hash of the password in each signed-in session and ends the session when
    # the hash no longer matches (a new password). The last deactivation is part of it too, so
    # a session begun before a deactivation ends, on every session engine, and stays ended
    # after a reactivation. A user never deactivated has Django's own hash.
    def _session_auth_hash(self, secret: str | bytes | None = None) -> str:
        value = self.password
        if self.deactivated_at is not None:
            value += "|deactivated:" + self.deactivated_at.astimezone(dt.UTC).isoformat()
        return salted_hmac(_SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)


_SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the secret is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.id} of {self.user_id}"


class LoginThrottle(models.Model):
    """The recent failed sign-ins of one user name (`user:NAME`) or client address
    (`address:ADDR`), and until when its next attempt waits. Kept in the database so that
    every worker and app server counts the same failures."""

    key = models.CharField(max_length=200, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    wait_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["last_failure_at"], name="loginthrottle_last_idx")]

    def __str__(self) -> str:
        return f"{self.failures} failed sign-ins of {self.key}"
