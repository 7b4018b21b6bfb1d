from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


class TokenState(models.TextChoices):
    """What an API token is now, from its dates and its user: it authenticates only while
    active. Deactivating a user revokes their tokens for good; a live token of a user who is
    inactive otherwise (a database edited by hand) shows as suspended."""

    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    SUSPENDED = "suspended", _("Suspended")
