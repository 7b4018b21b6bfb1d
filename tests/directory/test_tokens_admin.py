"""Listing API tokens and creating them for oneself or (administrators) for another user."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from casedesk.core.errors import Forbidden, NotFound, ValidationFailed
from casedesk.core.models import AuditEntry
from casedesk.directory import selectors, services
from casedesk.directory.models import ApiToken

pytestmark = pytest.mark.django_db


def _token(user: Any, name: str, **dates: Any) -> ApiToken:
    token, _secret = services.token_create(user=user, name=name)
    ApiToken.objects.filter(pk=token.pk).update(**dates)
    return token


def test_token_list_is_the_actors_own_tokens_newest_first(agent: Any, make_user: Any) -> None:
    now = timezone.now()
    old = _token(agent, "old", created_at=now - dt.timedelta(days=3))
    new = _token(agent, "new", created_at=now - dt.timedelta(days=1))
    _token(make_user(), "someone else's")
    listed = list(selectors.token_list(actor=agent))
    assert [t.pk for t in listed] == [new.pk, old.pk]


def test_token_list_shows_each_tokens_state_from_its_dates(agent: Any) -> None:
    now = timezone.now()
    _token(agent, "live", expires_at=now + dt.timedelta(days=1))
    _token(agent, "forever")
    _token(agent, "expired", expires_at=now - dt.timedelta(seconds=1))
    _token(agent, "revoked", revoked_at=now, expires_at=now - dt.timedelta(days=1))
    states = {t.name: t.state for t in selectors.token_list(actor=agent)}  # type: ignore[attr-defined]
    assert states == {
        "live": "active",
        "forever": "active",
        "expired": "expired",
        "revoked": "revoked",
    }


def test_token_list_of_another_user_is_forbidden_to_a_non_administrator(
    agent: Any, manager: Any
) -> None:
    with pytest.raises(Forbidden):
        selectors.token_list(actor=manager, user_id=agent.pk)


def test_administrator_lists_another_users_tokens(agent: Any, admin: Any) -> None:
    token = _token(agent, "agent's")
    _token(admin, "admin's")
    assert [t.pk for t in selectors.token_list(actor=admin, user_id=agent.pk)] == [token.pk]


def test_administrator_asking_for_an_unknown_user_is_not_found(admin: Any) -> None:
    with pytest.raises(NotFound):
        selectors.token_list(actor=admin, user_id=uuid.UUID(int=1))


def test_user_creates_a_named_token_that_authenticates_and_is_audited(agent: Any) -> None:
    token, secret = services.token_create_for(actor=agent, name="Laptop", expires_in_days=30)
    assert token.user_id == agent.pk and token.name == "Laptop"
    assert token.expires_at is not None
    lifetime = token.expires_at - token.created_at
    assert dt.timedelta(days=30) - dt.timedelta(seconds=5) < lifetime <= dt.timedelta(days=30)
    authenticated = services.token_authenticate(secret)
    assert authenticated is not None and authenticated.pk == agent.pk
    entry = AuditEntry.objects.get(action="token_create", entity_id=token.pk)
    assert entry.actor_id == agent.pk


def test_token_without_days_never_expires_when_no_default_lifetime_is_set(
    agent: Any, settings: Any
) -> None:
    settings.TOKEN_TTL_DAYS = 0
    token, _secret = services.token_create_for(actor=agent, name="CI")
    assert token.expires_at is None


def test_token_without_days_takes_the_configured_default_lifetime(
    agent: Any, settings: Any
) -> None:
    settings.TOKEN_TTL_DAYS = 10
    token, _secret = services.token_create_for(actor=agent, name="CI")
    assert token.expires_at is not None
    assert token.expires_at - token.created_at > dt.timedelta(days=9)


def test_administrator_creates_a_token_for_another_user_and_is_named_in_the_audit(
    agent: Any, admin: Any
) -> None:
    token, secret = services.token_create_for(actor=admin, user_id=agent.pk, name="Import job")
    assert token.user_id == agent.pk
    authenticated = services.token_authenticate(secret)
    assert authenticated is not None and authenticated.pk == agent.pk
    assert AuditEntry.objects.get(action="token_create", entity_id=token.pk).actor_id == admin.pk


def test_non_administrator_cannot_create_a_token_for_another_user(agent: Any, manager: Any) -> None:
    with pytest.raises(Forbidden):
        services.token_create_for(actor=manager, user_id=agent.pk, name="x")
    assert not ApiToken.objects.filter(user=agent).exists()


def test_token_for_a_deactivated_user_is_refused(make_user: Any, admin: Any) -> None:
    gone = make_user()
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    with pytest.raises(Forbidden):
        services.token_create_for(actor=admin, user_id=gone.pk, name="x")
    assert not ApiToken.objects.filter(user=gone).exists()


def test_token_for_an_unknown_user_is_not_found(admin: Any) -> None:
    with pytest.raises(NotFound):
        services.token_create_for(actor=admin, user_id=uuid.UUID(int=1), name="x")


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [("x" * 101, None, "name"), ("ok", 0, "expires_in_days"), ("ok", 3651, "expires_in_days")],
)
def test_bad_name_or_lifetime_is_refused_and_creates_nothing(
    agent: Any, name: str, days: int | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.token_create_for(actor=agent, name=name, expires_in_days=days)
    assert field in caught.value.details["fields"]
    assert not ApiToken.objects.filter(user=agent).exists()
    assert not AuditEntry.objects.filter(action="token_create").exists()


def test_revoked_token_is_listed_as_revoked_and_no_longer_authenticates(agent: Any) -> None:
    token, secret = services.token_create_for(actor=agent, name="Old")
    services.token_revoke(actor=agent, token_id=token.pk)
    assert [t.state for t in selectors.token_list(actor=agent)] == ["revoked"]  # type: ignore[attr-defined]
    assert services.token_authenticate(secret) is None
