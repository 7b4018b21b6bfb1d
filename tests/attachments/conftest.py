from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_storage(isolated_storage: object) -> None:
    """Every test here writes files: each in its own folder."""
