from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def web(db: None) -> Callable[..., Client]:
    """A browser-like client signed in as `user` (Django's session, CSRF checks on)."""

    def make(user: Any, *, csrf: bool = False, language: str = "en") -> Client:
        client = Client(enforce_csrf_checks=csrf, headers={"Accept-Language": language})
        client.force_login(user)
        return client

    return make


@pytest.fixture
def account(db: None, agent: Any) -> Any:
    from casedesk.customers import services

    return services.account_create(actor=agent, name="Città di Verona", email="info@verona.it")


@pytest.fixture
def contact(db: None, agent: Any, account: Any) -> Any:
    from casedesk.customers import services

    return services.contact_create(
        actor=agent, first_name="Lucia", last_name="Bianchi", account_id=account.pk
    )


@pytest.fixture
def make_case(db: None, agent: Any, account: Any) -> Callable[..., Any]:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref

    def make(owner: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("title", "Printer offline")
        kwargs.setdefault("customer", Ref("account", account.pk))
        return records.case_create(actor=owner or agent, **kwargs)

    return make
