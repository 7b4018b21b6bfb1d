"""System posts read in the reader's language, names and labels instead of codes
(docs/cases.md#system-posts); the API and the search index keep the English sentence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from casedesk.cases import posts
from casedesk.cases.models import Post
from casedesk.cases.services import lifecycle

pytestmark = pytest.mark.django_db


def test_every_sentence_renders_in_both_languages_with_its_params() -> None:
    params = {
        "ticket": "CAS-1",
        "owner": "Marco",
        "status": "problem_solved",
        "rule_set": "Standard",
        "item": "Urgent",
        "queue": "Tier 1",
    }
    for (event, form), _template in posts.SENTENCES.items():
        for language in ("en", "it"):
            with translation.override(language):
                text = posts.sentence(event, {**params, "form": form})
            assert text and "%(" not in text, (event, form, language)
        with translation.override("it"):
            italian = posts.sentence(event, {**params, "form": form})
        assert italian != posts.english(event, {**params, "form": form}), (event, form)


def test_a_resolved_case_says_its_status_by_name_not_by_code(
    make_case: Callable[..., Any], agent: Any, web: Callable[..., Client]
) -> None:
    case = make_case()
    lifecycle.case_resolve(
        actor=agent, case_id=case.pk, resolution="Fixed", resolution_type="problem_solved"
    )
    post = Post.objects.get(case=case, event="resolved")
    assert post.text == "Case resolved: Problem solved."
    assert post.params == {"status": "problem_solved"}
    italian = web(agent, language="it").get(f"/cases/{case.pk}/").content.decode()
    assert "Caso risolto: Problema risolto." in italian
    assert "problem_solved)" not in italian
    english = web(agent, language="en").get(f"/cases/{case.pk}/").content.decode()
    assert "Case resolved: Problem solved." in english


def test_a_post_stored_without_params_shows_its_text(
    make_case: Callable[..., Any], agent: Any, web: Callable[..., Client]
) -> None:
    case = make_case()
    Post.objects.filter(case=case, event="created").update(params={}, text="Old sentence.")
    from casedesk.cases.services.common import system_post

    system_post(case, "connected", {"ticket": "CAS-9"})
    Post.objects.filter(case=case, event="connected").update(params={}, text="Linked long ago.")
    page = web(agent, language="it").get(f"/cases/{case.pk}/").content.decode()
    assert "Linked long ago." in page
