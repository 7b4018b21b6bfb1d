from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation

from casedesk import settings as product_settings
from casedesk.core.errors import ValidationFailed
from casedesk.directory import services


def test_production_hashes_passwords_with_pbkdf2() -> None:
    assert not hasattr(product_settings, "PASSWORD_HASHERS") or (
        "PBKDF2" in product_settings.PASSWORD_HASHERS[0]
    )
    assert settings.PRODUCTION_PASSWORD_HASHERS[0].endswith("PBKDF2PasswordHasher")
    from django.conf import global_settings

    assert global_settings.PASSWORD_HASHERS[0].endswith("PBKDF2PasswordHasher")


def test_password_policy_requires_twelve_characters() -> None:
    validators = {v["NAME"].rsplit(".", 1)[1]: v for v in product_settings.AUTH_PASSWORD_VALIDATORS}
    assert validators["MinimumLengthValidator"]["OPTIONS"]["min_length"] == 12
    assert {
        "UserAttributeSimilarityValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    } <= set(validators)


@pytest.mark.parametrize(
    "password",
    [" " * 12, "a" * 12, "\t \u00a0 \u3000" * 4, "9" * 14, "%" * 20],
    ids=["spaces", "one-letter", "mixed-whitespace", "one-digit", "one-symbol"],
)
def test_password_is_refused_when_it_is_blank_or_one_repeated_character(
    admin: Any, password: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(actor=admin, username="carla", password=password)
    assert "password" in exc.value.details["fields"]


def test_policy_includes_the_repetition_validator_when_the_product_starts() -> None:
    names = [v["NAME"] for v in product_settings.AUTH_PASSWORD_VALIDATORS]
    assert "casedesk.directory.passwords.RepeatedCharacterValidator" in names


@pytest.mark.parametrize(
    ("language", "password", "expected"),
    [
        ("en", "a" * 12, "This password repeats a single character."),
        ("it", "a" * 12, "Questa password ripete un solo carattere."),
        ("en", " " * 12, "This password is only blank space."),
        ("it", " " * 12, "Questa password è fatta solo di spazi."),
    ],
)
def test_refusal_speaks_the_users_language_when_the_password_repeats_or_is_blank(
    language: str, password: str, expected: str
) -> None:
    from casedesk.directory.passwords import RepeatedCharacterValidator

    with translation.override(language), pytest.raises(DjangoValidationError) as exc:
        RepeatedCharacterValidator().validate(password)
    assert exc.value.messages == [expected]


def test_password_is_accepted_when_it_repeats_characters_but_not_only_one() -> None:
    from casedesk.directory.passwords import RepeatedCharacterValidator

    RepeatedCharacterValidator().validate("ab" * 6)
