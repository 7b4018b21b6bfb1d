"""Invariants of service levels that `casedesk check` verifies."""
