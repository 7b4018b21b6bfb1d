from __future__ import annotations

from typing import Any

import pytest

from casedesk.directory.models import User, display_name_sql

pytestmark = pytest.mark.django_db

NAMES = [
    ("Giulia Neri", "Giulia", "Neri"),
    ("", "Giulia", "Neri"),
    ("", "Giulia", ""),
    ("", "", "Neri"),
    ("", "", ""),
    ("Ufficio Tecnico", "", ""),
    ("", " ", " "),
]


@pytest.mark.parametrize(("full", "first", "last"), NAMES)
def test_display_name_is_the_same_in_python_and_in_sql(
    make_user: Any, full: str, first: str, last: str
) -> None:
    user = make_user()
    User.objects.filter(pk=user.pk).update(full_name=full, first_name=first, last_name=last)
    user.refresh_from_db()
    in_sql = User.objects.filter(pk=user.pk).values_list(display_name_sql(), flat=True).get()
    assert in_sql == user.display_name
    assert user.display_name  # never empty: the user name is the last resort
