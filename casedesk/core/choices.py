from django.db import models


class Channel(models.TextChoices):
    """Through what a change was made (the audit's `channel`)."""

    API = "api", "API"
    UI = "ui", "Web UI"
    CLI = "cli", "Command line"
    ROUTING = "routing", "Routing"
    CASCADE = "cascade", "Cascade"
    MERGE = "merge", "Merge"
    SYSTEM = "system", "System"
