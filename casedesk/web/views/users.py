"""Administration of users and teams (administrators): the list with the new user and new team
forms, a page per user (details, activity, password) and a page per team (name, members)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.directory import selectors as directory
from casedesk.directory import services as directory_services
from casedesk.directory.access import has_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User
from casedesk.web.errors import form_add_domain_error
from casedesk.web.forms.admin import (
    PasswordSetForm,
    TeamEditForm,
    TeamForm,
    UserEditForm,
    UserForm,
)
from casedesk.web.views.admin import admin_required, render_admin
from casedesk.web.views.auth import token_rows
from casedesk.web.views.common import actor, found, posted_version

# The services' field names -> the fields of these pages' forms.
USER_FIELDS = {"team_ids": "teams"}
TEAM_FIELDS = {"member_ids": "members"}


def _team_choices() -> list[tuple[str, str]]:
    return [(str(t.pk), t.name) for t in directory.team_list().order_by("name")]


def _user_choices(*, include_inactive: bool = False) -> list[tuple[str, str]]:
    inactive = _("%(name)s (inactive)")
    return [
        (str(u.pk), u.display_name if u.is_active else inactive % {"name": u.display_name})
        for u in directory.user_list(include_inactive=include_inactive).order_by("username")
    ]


@admin_required
@require_http_methods(["GET", "POST"])
def users_and_teams(request: HttpRequest) -> HttpResponse:
    """Every user (deactivated ones marked) and team, each linked to its page; a new user and
    a new team."""
    kind = request.POST.get("kind") if request.method == "POST" else None
    user_form = UserForm(
        request.POST if kind == "user" else None, teams=_team_choices(), prefix="user"
    )
    team_form = TeamForm(
        request.POST if kind == "team" else None, users=_user_choices(), prefix="team"
    )
    status = 200
    if kind == "user":
        if user_form.is_valid():
            data = user_form.cleaned_data
            try:
                directory_services.user_create(
                    actor=actor(request),
                    username=data["username"],
                    password=data["password"],
                    role=data["role"],
                    full_name=data["full_name"] or "",
                    email=data["email"] or "",
                    team_ids=[uuid.UUID(t) for t in data["teams"]],
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(user_form, exc, USER_FIELDS)
                status = exc.status
            else:
                messages.success(request, _("The user was created."))
                return redirect("web:admin_users")
        else:
            status = 422
    elif kind == "team":
        if team_form.is_valid():
            try:
                directory_services.team_create(
                    actor=actor(request),
                    name=team_form.cleaned_data["name"],
                    member_ids=[uuid.UUID(m) for m in team_form.cleaned_data["members"]],
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(team_form, exc, TEAM_FIELDS)
                status = exc.status
            else:
                messages.success(request, _("The team was created."))
                return redirect("web:admin_users")
        else:
            status = 422
    return render_admin(
        request,
        "web/admin/users.html",
        {
            "users": directory.user_list(include_inactive=True).order_by("username"),
            "teams": directory.team_list().order_by("name"),
            "user_form": user_form,
            "team_form": team_form,
        },
        status,
    )


def _after_own_change(request: HttpRequest, user: User) -> HttpResponse | None:
    """Where an administrator goes after changing their own record: their session follows a
    new password, and who gave up the administrator role leaves this page for the dashboard."""
    me = actor(request)
    if user.pk != me.pk:
        return None
    update_session_auth_hash(request, user)
    return None if has_role(user, Role.ADMIN) else redirect("web:home")


@admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    """One user: full name, e-mail, role, language, active or not, teams; a new password;
    their failed sign-ins, with an Unlock button while there are any; their API tokens, each
    revocable."""
    user = found(directory.user_get, user_id=user_id)
    kind = request.POST.get("kind") if request.method == "POST" else None
    initial = {
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "language": user.language,
        "is_active": user.is_active,
        "teams": [str(t.pk) for t in user.teams.all()],
    }
    form = UserEditForm(
        request.POST if kind == "details" else None, initial=initial, teams=_team_choices()
    )
    password_form = PasswordSetForm(request.POST if kind == "password" else None)
    status = 200
    if kind == "unlock":
        directory_services.login_unlock(actor=actor(request), user_id=user.pk, channel=Channel.UI)
        messages.success(
            request, _("%(name)s can sign in again at once.") % {"name": user.username}
        )
        return redirect("web:admin_user", user_id=user.pk)
    bound = form if kind == "details" else password_form if kind == "password" else None
    if bound is not None:
        if bound.is_valid():
            try:
                if bound is form:
                    saved = directory_services.user_update(
                        actor=actor(request),
                        user_id=user.pk,
                        changes=form.values(),
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
                    done = _("The user was saved.")
                else:
                    saved = directory_services.user_set_password(
                        actor=actor(request),
                        user_id=user.pk,
                        password=password_form.cleaned_data["password"],
                        expected_version=posted_version(request),
                        channel=Channel.UI,
                    )
                    done = _("The new password was set.")
            except DomainError as exc:
                form_add_domain_error(bound, exc, USER_FIELDS)
                status = exc.status
            else:
                messages.success(request, done)
                return _after_own_change(request, saved) or redirect("web:admin_users")
        else:
            status = 422
    tokens, next_cursor, page_status = token_rows(request, user=user)
    return render_admin(
        request,
        "web/admin/user_form.html",
        {
            "form": form,
            "password_form": password_form,
            "edited_user": user,
            "throttle": directory.login_throttle_of(user=user),
            "tokens": tokens,
            "next_cursor": next_cursor,
            # A refused form keeps the version it was read at: saving again after someone
            # else's change is refused too, until the page is reloaded.
            "version": posted_version(request) or user.version,
        },
        status if status != 200 else page_status,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, team_id: uuid.UUID) -> HttpResponse:
    """One team: its name and members (deactivated users listed too, marked)."""
    team = found(directory.team_get, team_id=team_id)
    initial = {"name": team.name, "members": [str(m.pk) for m in team.members.all()]}
    form = TeamEditForm(
        request.POST or None, initial=initial, users=_user_choices(include_inactive=True)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                directory_services.team_update(
                    actor=actor(request),
                    team_id=team.pk,
                    changes=form.values(),
                    expected_version=posted_version(request),
                    channel=Channel.UI,
                )
            except DomainError as exc:
                form_add_domain_error(form, exc, TEAM_FIELDS)
                status = exc.status
            else:
                messages.success(request, _("The team was saved."))
                return redirect("web:admin_users")
        else:
            status = 422
    return render_admin(
        request,
        "web/admin/team_form.html",
        {"form": form, "team": team, "version": posted_version(request) or team.version},
        status,
    )
