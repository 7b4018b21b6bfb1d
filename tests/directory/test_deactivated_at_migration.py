"""The upgrade that records deactivations ends the access of users deactivated before it: their
live tokens are revoked and their sessions end, as a deactivation now does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("casedesk_directory", "0002_login_throttle")]
AFTER = [("casedesk_directory", "0003_user_deactivated_at")]


@pytest.fixture
def latest_schema_after() -> Iterator[None]:
    """Going back to BEFORE also takes back every app's migrations that depend on it (mail,
    events, jobs…): bring the whole schema back to the latest, for the tests that follow."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_revokes_the_tokens_of_users_deactivated_before_it(
    latest_schema_after: None,
) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user_model, token_model = (
        old.get_model("casedesk_directory", "User"),
        old.get_model("casedesk_directory", "ApiToken"),
    )
    now = timezone.now()
    gone = user_model.objects.create(username="gone", is_active=False)
    here = user_model.objects.create(username="here", is_active=True)
    token_model.objects.create(user=gone, digest="a" * 64, created_at=now)
    token_model.objects.create(user=here, digest="b" * 64, created_at=now)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    user_model, token_model = (
        new.get_model("casedesk_directory", "User"),
        new.get_model("casedesk_directory", "ApiToken"),
    )
    assert user_model.objects.get(username="gone").deactivated_at is not None
    assert user_model.objects.get(username="here").deactivated_at is None
    assert token_model.objects.get(digest="a" * 64).revoked_at is not None
    assert token_model.objects.get(digest="b" * 64).revoked_at is None
