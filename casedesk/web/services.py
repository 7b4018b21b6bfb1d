"""The web UI's own writes: a user's preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import ValidationFailed
from casedesk.directory.models import User


@transaction.atomic
def user_language_set(*, actor: User, language: str, channel: str = Channel.UI) -> User:
    """Set the caller's user interface language ("" follows the browser).

    Refuse with `validation_error` for a language the product does not speak.
    """
    codes = {code for code, _name in settings.LANGUAGES}
    if language and language not in codes:
        raise ValidationFailed({"language": f"must be one of {', '.join(sorted(codes))}"})
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.language != language:
        before = user.language
        user.language = language
        user.version += 1
        user.save(update_fields=["language", "version"])
        audit_record(
            actor=actor,
            action="update",
            channel=channel,
            entity=user,
            changes={"language": [before, language]},
        )
    return user
