"""The webhook administration pages (administrators): list, create, edit, delete, and each
webhook's delivery log with its attempts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings

from casedesk.events.models import Webhook
from casedesk.events.secrets import secret_open

pytestmark = pytest.mark.django_db

SECRET = "a-secret-of-enough-length"


@pytest.fixture
def webhook(admin: Any) -> Webhook:
    from casedesk.events.services import webhook_create

    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        return webhook_create(
            actor=admin, url="http://127.0.0.1:9/hook", events=["*"], secret=SECRET
        )


@pytest.mark.parametrize("page", ["", "new/", "{id}/", "{id}/deliveries/"])
def test_webhook_pages_are_for_administrators_only(
    web: Callable[..., Client], agent: Any, manager: Any, admin: Any, webhook: Webhook, page: str
) -> None:
    path = "/admin/webhooks/" + page.format(id=webhook.pk)

    assert web(agent).get(path).status_code == 403
    assert web(manager).get(path).status_code == 403
    assert web(admin).get(path).status_code == 200
    assert Client().get(path).status_code == 302


def test_admin_creates_a_webhook_for_some_events(web: Callable[..., Client], admin: Any) -> None:
    response = web(admin).post(
        "/admin/webhooks/new/",
        {
            "url": "https://hooks.example.com/casedesk",
            "events": ["case.created", "case.resolved"],
            "secret": SECRET,
            "active": "on",
        },
    )

    assert response.status_code == 302
    created = Webhook.objects.get()
    assert created.events == ["case.created", "case.resolved"] and created.active
    assert secret_open(created.secret) == SECRET and SECRET not in created.secret


def test_a_private_url_is_refused_on_the_form(web: Callable[..., Client], admin: Any) -> None:
    response = web(admin).post(
        "/admin/webhooks/new/",
        {"url": "http://169.254.169.254/", "all_events": "on", "secret": SECRET},
    )

    assert response.status_code == 422
    assert b"link-local" in response.content
    assert not Webhook.objects.exists()


def test_editing_without_a_secret_keeps_it_and_never_shows_it(
    web: Callable[..., Client], admin: Any, webhook: Webhook
) -> None:
    client = web(admin)
    page = client.get(f"/admin/webhooks/{webhook.pk}/")

    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        response = client.post(
            f"/admin/webhooks/{webhook.pk}/",
            {"url": webhook.url, "all_events": "on", "secret": "", "version": webhook.version},
        )

    webhook.refresh_from_db()
    assert SECRET.encode() not in page.content
    assert response.status_code == 302
    assert (
        secret_open(webhook.secret) == SECRET and webhook.active is False and webhook.version == 2
    )


def test_admin_deletes_a_webhook(web: Callable[..., Client], admin: Any, webhook: Webhook) -> None:
    response = web(admin).post(
        f"/admin/webhooks/{webhook.pk}/delete/", {"version": webhook.version}
    )

    assert response.status_code == 302
    assert not Webhook.objects.exists()


def test_the_delivery_log_lists_each_attempt(
    web: Callable[..., Client], admin: Any, webhook: Webhook, account_case: Any
) -> None:
    from casedesk.events.delivery import deliveries_run

    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        deliveries_run()  # port 9 on loopback: nobody listens

    page = web(admin, language="it").get(f"/admin/webhooks/{webhook.pk}/deliveries/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "case.created" in text
    assert "Registro delle consegne" in text
    assert "1. " in text and "ConnectionRefusedError" in text


@pytest.fixture
def account_case(agent: Any) -> Any:
    from casedesk.cases.services.common import Ref
    from casedesk.cases.services.records import case_create_step
    from casedesk.customers.services import account_create

    account = account_create(actor=agent, name="Acme Srl")
    return case_create_step(actor=agent, title="Internet down", customer=Ref("account", account.pk))
