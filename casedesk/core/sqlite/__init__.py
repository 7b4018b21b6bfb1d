"""The SQLite database backend of casedesk (see `base`)."""
