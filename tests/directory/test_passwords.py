from django.conf import settings

from casedesk import settings as product_settings


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
