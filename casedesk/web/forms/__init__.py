"""The web UI's forms: they parse and check input; the services decide."""
