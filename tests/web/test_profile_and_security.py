"""The profile's language, the language switch, and the pages' security headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_profile_language_wins_over_the_browsers_when_set(
    web: Callable[..., Client], agent: Any
) -> None:
    client = web(agent, language="en")
    response = client.post("/profile/", {"language": "it"}, follow=True)
    assert "Il profilo è stato salvato." in response.content.decode()
    agent.refresh_from_db()
    assert agent.language == "it"
    fresh = web(agent, language="en")
    fresh.cookies.pop("django_language", None)
    assert "Casi" in fresh.get("/cases/").content.decode()


def test_profile_without_a_language_follows_the_browser(
    web: Callable[..., Client], agent: Any
) -> None:
    client = web(agent, language="it")
    client.post("/profile/", {"language": ""})
    agent.refresh_from_db()
    assert agent.language == ""
    assert "I miei casi attivi" in client.get("/cases/").content.decode()


def test_profile_refuses_an_unknown_language(web: Callable[..., Client], agent: Any) -> None:
    response = web(agent).post("/profile/", {"language": "klingon"})
    assert response.status_code == 422
    agent.refresh_from_db()
    assert agent.language == ""


def test_language_switch_remembers_the_choice_in_the_profile(
    web: Callable[..., Client], agent: Any
) -> None:
    response = web(agent).post("/language/", {"language": "it", "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    agent.refresh_from_db()
    assert agent.language == "it"


def test_language_switch_never_redirects_off_site(web: Callable[..., Client], agent: Any) -> None:
    response = web(agent).post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_language_switch_works_before_signing_in() -> None:
    client = Client()
    response = client.post("/language/", {"language": "it", "next": "/login/"})
    assert response.status_code == 302
    assert "Accedi" in client.get("/login/").content.decode()


def test_pages_send_a_strict_content_security_policy(
    web: Callable[..., Client], agent: Any
) -> None:
    for response in (Client().get("/login/"), web(agent).get("/cases/new/")):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        body = response.content.decode()
        assert "<script>" not in body and " style=" not in body and "<style" not in body
        assert "http://" not in body.replace("http://testserver", "")


def test_a_refusal_the_page_did_not_expect_is_shown_as_a_page_not_a_server_error(
    web: Callable[..., Client], agent: Any
) -> None:
    from django.urls import path

    from casedesk.core.errors import CaseNotActive

    def refusing_view(request: Any) -> Any:
        raise CaseNotActive()

    from casedesk import urls

    urls.urlpatterns.insert(0, path("refuse/", refusing_view))
    try:
        from django.urls import clear_url_caches

        clear_url_caches()
        response = web(agent).get("/refuse/")
    finally:
        urls.urlpatterns.pop(0)
        clear_url_caches()
    assert response.status_code == 409
    assert "resolved and cancelled cases are read-only" in response.content.decode()


def test_templates_and_scripts_keep_to_the_content_security_policy() -> None:
    """No inline script, style or event handler, and no asset from another site."""
    import re
    from pathlib import Path

    import casedesk.web

    root = Path(casedesk.web.__file__).parent
    templates = list((root / "templates").rglob("*.html"))
    assert templates
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")", re.I)
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not inline_script.search(text), path
        assert not re.search(r"<style\b|\sstyle=", text, re.I), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert "javascript:" not in text, path
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
    for path in (root / "static").rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert "innerHTML =" not in text or path.name == "lookup.js", path
        assert not re.search(r"https?://", text), path


def test_resolve_dialog_offers_only_the_allowed_resolution_types(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    from casedesk.cases.services import config

    allowed = {
        "in_progress": ["information_provided"],
        "on_hold": ["problem_solved"],
        "waiting_for_details": ["problem_solved"],
        "researching": ["problem_solved"],
    }
    config.status_transitions_set(actor=manager, enforced=True, allowed=allowed)
    case = make_case()
    form = web(agent).get(f"/cases/{case.pk}/resolve/").context["dialogs"]["resolve"]
    assert [v for v, _label in form.fields["resolution_type"].choices] == ["information_provided"]
