import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")

application = get_wsgi_application()


def _start_checkpointer() -> None:
    """A server worker on SQLite checkpoints the write-ahead log in a thread
    (casedesk/core/sqlite/checkpoint.py)."""
    from django.db import connection

    from casedesk.core.sqlite import checkpoint

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and ":memory:" not in name and "mode=memory" not in name:
        checkpoint.start(name)


_start_checkpointer()
