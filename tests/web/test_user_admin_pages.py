"""The administration of users and teams through Django's test client: the list, a page per
user (details, activity, password), a page per team (name, members), and who may open them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.core.models import AuditEntry
from casedesk.directory import services
from casedesk.directory.models import Team, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-secret-42"


def _details(user: User, **changes: Any) -> dict[str, Any]:
    """The user page's details form as the browser posts it, with `changes` applied."""
    data: dict[str, Any] = {
        "kind": "details",
        "version": User.objects.get(pk=user.pk).version,
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "language": user.language,
        "teams": [str(t.pk) for t in user.teams.all()],
    }
    if user.is_active:
        data["is_active"] = "on"
    for name, value in changes.items():
        if name == "is_active" and not value:
            data.pop("is_active", None)
        else:
            data[name] = value
    return {k: v for k, v in data.items() if v is not None}


def _password(user: User, password: str, again: str | None = None) -> dict[str, Any]:
    return {
        "kind": "password",
        "version": User.objects.get(pk=user.pk).version,
        "password": password,
        "password_again": password if again is None else again,
    }


@pytest.fixture
def tier1(admin: User, agent: User) -> Team:
    return services.team_create(actor=admin, name="Tier 1", member_ids=[agent.pk])


# --- who may open the pages -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_agents_and_managers_are_refused_the_user_and_team_pages(
    web: Callable[..., Client], make_user: Callable[..., Any], agent: User, tier1: Team, role: str
) -> None:
    client = web(make_user(role))
    for path in (f"/admin/users/{agent.pk}/", f"/admin/teams/{tier1.pk}/"):
        page = client.get(path)
        assert page.status_code == 403
        assert "Only administrators can open this page." in page.content.decode()
    posted = client.post(f"/admin/users/{agent.pk}/", _details(agent, role="admin"))
    assert posted.status_code == 403
    posted = client.post(f"/admin/users/{agent.pk}/", _password(agent, NEW_PASSWORD))
    assert posted.status_code == 403
    posted = client.post(f"/admin/teams/{tier1.pk}/", {"name": "Mine", "version": 1})
    assert posted.status_code == 403
    stored = User.objects.get(pk=agent.pk)
    assert stored.role == "agent" and stored.check_password(PASSWORD)
    assert Team.objects.get(pk=tier1.pk).name == "Tier 1"


def test_signed_out_visitors_are_sent_to_sign_in(agent: User, tier1: Team) -> None:
    for path in (f"/admin/users/{agent.pk}/", f"/admin/teams/{tier1.pk}/"):
        response = Client().get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_unknown_user_or_team_is_404(web: Callable[..., Client], admin: User) -> None:
    zero = "00000000-0000-0000-0000-000000000000"
    client = web(admin)
    assert client.get(f"/admin/users/{zero}/").status_code == 404
    assert client.get(f"/admin/teams/{zero}/").status_code == 404


# --- the list ---------------------------------------------------------------------------------


def test_the_list_links_every_user_and_team_and_marks_deactivated_users(
    web: Callable[..., Client], admin: User, agent: User, tier1: Team
) -> None:
    services.user_update(actor=admin, user_id=agent.pk, changes={"is_active": False})
    page = web(admin).get("/admin/users/").content.decode()
    assert f'href="/admin/users/{agent.pk}/"' in page
    assert f'href="/admin/users/{admin.pk}/"' in page
    assert f'href="/admin/teams/{tier1.pk}/"' in page
    assert "Inactive" in page
    assert "New user" in page and "New team" in page


# --- a user's page ----------------------------------------------------------------------------


def test_admin_changes_a_users_details_from_the_page(
    web: Callable[..., Client], admin: User, agent: User, tier1: Team
) -> None:
    tier2 = services.team_create(actor=admin, name="Tier 2")
    client = web(admin)
    page = client.get(f"/admin/users/{agent.pk}/")
    assert page.status_code == 200 and agent.username in page.content.decode()
    response = client.post(
        f"/admin/users/{agent.pk}/",
        _details(
            agent,
            full_name="Anna Rossi",
            email="anna@example.com",
            role="manager",
            language="it",
            teams=[str(tier2.pk)],
        ),
    )
    assert response.status_code == 302 and response["Location"] == "/admin/users/"
    stored = User.objects.get(pk=agent.pk)
    assert (stored.full_name, stored.email, stored.role, stored.language) == (
        "Anna Rossi",
        "anna@example.com",
        "manager",
        "it",
    )
    assert list(stored.teams.all()) == [tier2]
    entry = AuditEntry.objects.get(entity_id=agent.pk, action="update")
    assert entry.channel == "ui" and entry.actor_id == admin.pk


def test_a_deactivated_users_open_session_ends(
    web: Callable[..., Client], admin: User, agent: User
) -> None:
    theirs = web(agent)
    assert theirs.get("/cases/").status_code == 200
    response = web(admin).post(f"/admin/users/{agent.pk}/", _details(agent, is_active=False))
    assert response.status_code == 302
    assert not User.objects.get(pk=agent.pk).is_active
    signed_out = theirs.get("/cases/")
    assert signed_out.status_code == 302 and "/login/" in signed_out["Location"]
    login = Client().post("/login/", {"username": agent.username, "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.client.session


def test_the_last_administrator_sees_why_they_cannot_step_down(
    web: Callable[..., Client], admin: User
) -> None:
    client = web(admin)
    demoted = client.post(f"/admin/users/{admin.pk}/", _details(admin, role="manager"))
    assert demoted.status_code == 422
    assert demoted.context["form"].errors["role"] == [
        "This is the last active administrator: it must keep the Administrator role."
    ]
    deactivated = client.post(f"/admin/users/{admin.pk}/", _details(admin, is_active=False))
    assert deactivated.status_code == 422
    assert deactivated.context["form"].errors["is_active"] == ["You cannot deactivate yourself."]
    stored = User.objects.get(pk=admin.pk)
    assert stored.role == "admin" and stored.is_active


def test_the_refusal_speaks_italian(web: Callable[..., Client], admin: User) -> None:
    response = web(admin, language="it").post(
        f"/admin/users/{admin.pk}/", _details(admin, role="agent")
    )
    assert response.status_code == 422
    assert "ultimo amministratore attivo" in response.content.decode()


def test_an_administrator_who_steps_down_leaves_for_the_dashboard(
    web: Callable[..., Client], admin: User, make_user: Callable[..., Any]
) -> None:
    make_user("admin")
    client = web(admin)
    response = client.post(f"/admin/users/{admin.pk}/", _details(admin, role="manager"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_page_read_before_someone_elses_change_is_refused(
    web: Callable[..., Client], admin: User, agent: User
) -> None:
    stale = _details(agent, full_name="Mine")
    services.user_update(actor=admin, user_id=agent.pk, changes={"full_name": "Theirs"})
    response = web(admin).post(f"/admin/users/{agent.pk}/", stale)
    assert response.status_code == 412
    assert "Someone else changed this record" in response.content.decode()
    assert User.objects.get(pk=agent.pk).full_name == "Theirs"


def test_admin_sets_a_new_password_from_the_page(
    web: Callable[..., Client], admin: User, agent: User
) -> None:
    response = web(admin).post(f"/admin/users/{agent.pk}/", _password(agent, NEW_PASSWORD))
    assert response.status_code == 302
    assert User.objects.get(pk=agent.pk).check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(entity_id=agent.pk, action="password_set").exists()


@pytest.mark.parametrize(
    ("password", "again", "field"),
    [("short", None, "password"), (NEW_PASSWORD, NEW_PASSWORD + "x", "password_again")],
)
def test_a_weak_or_mistyped_password_is_refused_on_its_field(
    web: Callable[..., Client],
    admin: User,
    agent: User,
    password: str,
    again: str | None,
    field: str,
) -> None:
    response = web(admin).post(f"/admin/users/{agent.pk}/", _password(agent, password, again))
    assert response.status_code == 422
    assert field in response.context["password_form"].errors
    assert User.objects.get(pk=agent.pk).check_password(PASSWORD)


def test_an_administrator_who_changes_their_own_password_stays_signed_in(
    web: Callable[..., Client], admin: User
) -> None:
    client = web(admin)
    response = client.post(f"/admin/users/{admin.pk}/", _password(admin, NEW_PASSWORD))
    assert response.status_code == 302
    assert client.get("/admin/users/").status_code == 200


# --- a team's page ----------------------------------------------------------------------------


def test_admin_renames_a_team_and_moves_a_deactivated_member(
    web: Callable[..., Client], admin: User, agent: User, manager: User, tier1: Team
) -> None:
    services.user_update(actor=admin, user_id=agent.pk, changes={"is_active": False})
    tier2 = services.team_create(actor=admin, name="Tier 2")
    client = web(admin)
    page = client.get(f"/admin/teams/{tier2.pk}/").content.decode()
    assert "Anna Agente (inactive)" in page
    response = client.post(
        f"/admin/teams/{tier2.pk}/",
        {
            "name": "Secondo livello",
            "members": [str(agent.pk), str(manager.pk)],
            "version": tier2.version,
        },
    )
    assert response.status_code == 302
    client.post(
        f"/admin/teams/{tier1.pk}/",
        {"name": "Tier 1", "version": Team.objects.get(pk=tier1.pk).version},
    )
    stored = Team.objects.get(pk=tier2.pk)
    assert stored.name == "Secondo livello"
    assert set(stored.members.all()) == {agent, manager}
    assert list(User.objects.get(pk=agent.pk).teams.all()) == [stored]


def test_a_taken_team_name_is_refused_on_the_name_field(
    web: Callable[..., Client], admin: User, tier1: Team
) -> None:
    services.team_create(actor=admin, name="Billing")
    response = web(admin).post(
        f"/admin/teams/{tier1.pk}/", {"name": "billing", "version": tier1.version}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["name"] == ["A team with this name exists."]


# --- sign-in delays ---------------------------------------------------------------------------


def _wait_five_minutes(user: User, clock: Any) -> None:
    for _ in range(15):
        clock.advance(300)
        Client().post("/login/", {"username": user.username, "password": "wrong-wrong-wrong"})


def test_user_page_shows_the_failures_and_an_unlock_button_when_the_user_must_wait(
    web: Callable[..., Client], admin: User, agent: User, fake_clock: Any
) -> None:
    _wait_five_minutes(agent, fake_clock)
    page = web(admin).get(f"/admin/users/{agent.pk}/").content.decode()
    assert 'name="kind" value="unlock"' in page
    assert "15 failed sign-ins" in page


def test_unlock_button_lets_the_user_sign_in_at_once_when_an_administrator_presses_it(
    web: Callable[..., Client], admin: User, agent: User, fake_clock: Any
) -> None:
    _wait_five_minutes(agent, fake_clock)
    response = web(admin).post(f"/admin/users/{agent.pk}/", {"kind": "unlock"})
    assert response.status_code == 302
    signed_in = Client().post("/login/", {"username": agent.username, "password": PASSWORD})
    assert signed_in.status_code == 302


def test_unlock_button_is_refused_when_a_manager_posts_it(
    web: Callable[..., Client], manager: User, agent: User, fake_clock: Any
) -> None:
    _wait_five_minutes(agent, fake_clock)
    assert web(manager).post(f"/admin/users/{agent.pk}/", {"kind": "unlock"}).status_code == 403
    refused = Client().post("/login/", {"username": agent.username, "password": PASSWORD})
    assert refused.status_code == 429


def test_user_page_tells_the_failures_in_italian_when_the_administrator_reads_italian(
    web: Callable[..., Client], admin: User, agent: User, fake_clock: Any
) -> None:
    _wait_five_minutes(agent, fake_clock)
    page = web(admin, language="it").get(f"/admin/users/{agent.pk}/").content.decode()
    assert "15 accessi non riusciti dall'ultimo accesso riuscito." in page
    assert "Sblocca" in page
