"""Test settings: the product's settings with a fast password hasher.

One test (tests/directory/test_passwords.py) asserts that production uses PBKDF2.
"""

import os
import tempfile

if not os.environ.get("CASEDESK_DATA_DIR"):
    os.environ["CASEDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="casedesk-test-")

from casedesk.settings import *  # noqa: F403
from casedesk.settings import DATABASES

PRODUCTION_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
DATABASES["default"].setdefault("TEST", {})
