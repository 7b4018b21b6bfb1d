"""Password rules of our own, beside Django's validators (AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class RepeatedCharacterValidator:
    """Refuse a password made only of blank space (spaces, tabs, any Unicode space) or of one
    character repeated (`aaaaaaaaaaaa`): long enough for the length rule, guessed at once."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError(
                _("This password is only blank space."), code="password_only_whitespace"
            )
        if len(set(password)) == 1:
            raise ValidationError(
                _("This password repeats a single character."), code="password_one_character"
            )

    def get_help_text(self) -> str:
        return _("Your password can't be only spaces or one character repeated.")
