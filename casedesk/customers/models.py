from __future__ import annotations

import uuid

from django.db import models


class Account(models.Model):
    """A company customer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    name_folded = models.CharField(max_length=200, default="", db_index=True)
    email = models.CharField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    phone_digits = models.CharField(max_length=50, blank=True, default="")
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person; may belong to an account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100)
    name = models.CharField(max_length=201)
    name_folded = models.CharField(max_length=201, default="", db_index=True)
    email = models.CharField(max_length=254, blank=True, default="")
    email_folded = models.CharField(max_length=254, blank=True, default="", db_index=True)
    phone = models.CharField(max_length=50, blank=True, default="")
    phone_digits = models.CharField(max_length=50, blank=True, default="", db_index=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return self.name
