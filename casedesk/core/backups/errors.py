from __future__ import annotations


class BackupError(Exception):
    """A backup or restore refused or failed; its message is one line, for the operator."""
