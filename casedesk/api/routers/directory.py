from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.schemas import OPTIONAL_BODY, In, ListParams, NoBody, Out, errors
from casedesk.core.pagination import paginate
from casedesk.core.types import Code, Email, Flag, Name, Password, ShortText, Username
from casedesk.directory import selectors, services
from casedesk.directory.choices import Role
from casedesk.directory.models import Team, User

router = Router(tags=["directory"])


class UserOut(Out):
    id: str
    username: str
    full_name: str
    email: str
    role: str
    language: str
    is_active: bool
    team_ids: list[str]
    version: int


class UserPage(Out):
    items: list[UserOut]
    next: str | None


class UserListParams(ListParams):
    """`?include_inactive=true` lists deactivated users too."""

    include_inactive: bool = False


class UserIn(In):
    username: Username
    password: Password
    full_name: ShortText = ""
    email: Email = ""
    role: Role = Role.AGENT
    team_ids: list[uuid.UUID] = []


class UserPatch(In):
    full_name: ShortText | None = None
    email: Email | None = None
    role: Role | None = None
    language: Code | None = None
    is_active: Flag | None = None
    team_ids: list[uuid.UUID] | None = None


class PasswordIn(In):
    password: Password


class TeamOut(Out):
    id: str
    name: str
    member_ids: list[str]
    version: int


class TeamPage(Out):
    items: list[TeamOut]
    next: str | None


class TeamIn(In):
    name: Name
    member_ids: list[uuid.UUID] = []


class TeamPatch(In):
    name: Name | None = None
    member_ids: list[uuid.UUID] | None = None


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "language": user.language,
        "is_active": user.is_active,
        "team_ids": sorted(str(t.id) for t in user.teams.all()),
        "version": user.version,
    }


def team_out(team: Team) -> dict[str, Any]:
    return {
        "id": str(team.id),
        "name": team.name,
        "member_ids": sorted(str(m.id) for m in team.members.all()),
        "version": team.version,
    }


@router.get("/users", response={200: UserPage, **errors()})
def user_list(request: HttpRequest, params: Query[UserListParams]) -> dict[str, Any]:
    """Active users by user name (`?include_inactive=true`: deactivated ones too)."""
    page = paginate(
        selectors.user_list(include_inactive=params.include_inactive),
        order=("username", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"users:{params.include_inactive}",
    )
    return page_body(page, user_out)


@router.post("/users", response={201: UserOut, **errors(403, 413, 422)})
def user_create(request: HttpRequest, payload: UserIn, response: HttpResponse) -> Status:
    user = services.user_create(
        actor=actor(request),
        username=payload.username,
        password=payload.password,
        role=payload.role,
        full_name=payload.full_name,
        email=payload.email,
        team_ids=payload.team_ids,
    )
    user = selectors.user_get(user_id=user.id)
    set_etag(response, user.version)
    return Status(201, user_out(user))


@router.get("/users/{user_id}", response={200: UserOut, **errors()})
def user_get(request: HttpRequest, user_id: uuid.UUID, response: HttpResponse) -> Any:
    user = selectors.user_get(user_id=user_id)
    set_etag(response, user.version)
    return user_out(user)


@router.patch("/users/{user_id}", response={200: UserOut, **errors(403, 412, 413, 422)})
def user_update(
    request: HttpRequest, user_id: uuid.UUID, payload: UserPatch, response: HttpResponse
) -> Any:
    """Change a user (administrators): a merge patch of `full_name`, `email`, `role`,
    `language`, `is_active` (false deactivates: no sign-in, no API tokens) and `team_ids`
    (replaces the teams)."""
    services.user_update(
        actor=actor(request),
        user_id=user_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    return user_get(request, user_id, response)


@router.post("/users/{user_id}/password", response={200: UserOut, **errors(403, 412, 413, 422)})
def user_set_password(
    request: HttpRequest, user_id: uuid.UUID, payload: PasswordIn, response: HttpResponse
) -> Any:
    """Set a user's password (administrators); the password policy applies."""
    services.user_set_password(
        actor=actor(request),
        user_id=user_id,
        password=payload.password,
        expected_version=if_match(request),
    )
    return user_get(request, user_id, response)


@router.post("/users/{user_id}/unlock", response={200: UserOut, **errors(403, 413, 422)})
def user_unlock(
    request: HttpRequest,
    user_id: uuid.UUID,
    response: HttpResponse,
    payload: NoBody | None = OPTIONAL_BODY,
) -> Any:
    """Let a user sign in again at once (administrators): forget the failed sign-ins of their
    user name and lift its wait."""
    services.login_unlock(actor=actor(request), user_id=user_id)
    return user_get(request, user_id, response)


@router.get("/teams", response={200: TeamPage, **errors()})
def team_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    page = paginate(
        selectors.team_list(), order=("name", "id"), limit=params.limit, cursor=params.cursor
    )
    return page_body(page, team_out)


@router.post("/teams", response={201: TeamOut, **errors(403, 413, 422)})
def team_create(request: HttpRequest, payload: TeamIn, response: HttpResponse) -> Status:
    team = services.team_create(
        actor=actor(request), name=payload.name, member_ids=payload.member_ids
    )
    team = selectors.team_get(team_id=team.id)
    set_etag(response, team.version)
    return Status(201, team_out(team))


@router.get("/teams/{team_id}", response={200: TeamOut, **errors()})
def team_get(request: HttpRequest, team_id: uuid.UUID, response: HttpResponse) -> Any:
    team = selectors.team_get(team_id=team_id)
    set_etag(response, team.version)
    return team_out(team)


@router.patch("/teams/{team_id}", response={200: TeamOut, **errors(403, 412, 413, 422)})
def team_update(
    request: HttpRequest, team_id: uuid.UUID, payload: TeamPatch, response: HttpResponse
) -> Any:
    """Rename a team or set its members (administrators); `member_ids` replaces the list."""
    services.team_update(
        actor=actor(request),
        team_id=team_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    return team_get(request, team_id, response)
