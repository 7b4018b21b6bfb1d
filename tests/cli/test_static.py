"""The static files `casedesk serve` collects before it starts (casedesk/cli/static.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from casedesk.cli import static

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def sources(tmp_path: Path, settings: Any) -> Path:
    """One folder of sources collected into a folder of its own with the production storage."""
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "app.css").write_text("body { color: black; }\n")
    settings.DEBUG = False
    settings.STATICFILES_DIRS = [str(folder)]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = str(tmp_path / "data" / "static")
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    return folder


def _linked(tmp_path: Path, name: str) -> str:
    manifest = json.loads((tmp_path / "data" / "static" / "staticfiles.json").read_text())
    return str(manifest["paths"][name])


def test_collect_writes_hashed_copies_when_the_sources_are_new(
    sources: Path, tmp_path: Path
) -> None:
    assert static.ensure_collected() is True
    hashed = _linked(tmp_path, "app.css")
    assert hashed != "app.css" and hashed.startswith("app.") and hashed.endswith(".css")
    assert (tmp_path / "data" / "static" / hashed).read_text() == "body { color: black; }\n"


def test_collect_is_skipped_when_the_sources_have_not_changed(
    sources: Path, tmp_path: Path
) -> None:
    static.ensure_collected()
    assert static.ensure_collected() is False


def test_collect_runs_again_when_a_source_changes(sources: Path, tmp_path: Path) -> None:
    static.ensure_collected()
    before = _linked(tmp_path, "app.css")
    (sources / "app.css").write_text("body { color: darkblue; }\n")
    assert static.ensure_collected() is True
    after = _linked(tmp_path, "app.css")
    assert after != before and (tmp_path / "data" / "static" / after).exists()


def test_collect_runs_again_when_the_collected_manifest_is_gone(
    sources: Path, tmp_path: Path
) -> None:
    static.ensure_collected()
    (tmp_path / "data" / "static" / "staticfiles.json").unlink()
    assert static.ensure_collected() is True
    assert _linked(tmp_path, "app.css") != "app.css"


def test_nothing_is_collected_when_pages_link_plain_names(
    sources: Path, tmp_path: Path, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert static.ensure_collected() is False
    assert not (tmp_path / "data" / "static" / "staticfiles.json").exists()
