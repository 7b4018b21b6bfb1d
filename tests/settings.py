"""Test settings: the product's settings with a fast password hasher.

One test (tests/directory/test_passwords.py) asserts that production uses PBKDF2.
"""

import os
import tempfile

if not os.environ.get("CASEDESK_DATA_DIR"):
    os.environ["CASEDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="casedesk-test-")

from casedesk.settings import *  # noqa: F403
from casedesk.settings import DATABASES, STORAGES

PRODUCTION_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
DATABASES["default"].setdefault("TEST", {})

# The tests link the apps' static files by their plain names and serve them from the apps'
# folders, collecting nothing (the live server cannot serve hashed names). The production
# storage is checked through a real `casedesk serve` (tests/cli/test_serve.py).
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
