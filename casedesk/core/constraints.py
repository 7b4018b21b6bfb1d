"""Conditions shared by model constraints."""

from __future__ import annotations

from django.db.models import Q


def exactly_one(first: str, second: str) -> Q:
    """Exactly one of two nullable foreign keys is set (a customer is an account or a contact;
    an owner is a user or a team)."""
    return Q(**{f"{first}__isnull": False, f"{second}__isnull": True}) | Q(
        **{f"{first}__isnull": True, f"{second}__isnull": False}
    )
