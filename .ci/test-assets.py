#!/usr/bin/env python3
"""Files the tests use that no Python or Debian package ships: axe-core, the accessibility
engine the browser tests inject into each page. Downloaded once from the npm registry, checked
against the registry's sha512 integrity, and kept in .venv/test-assets (the product never
loads it: it is a test tool)."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / ".venv" / "test-assets"
PACKAGES = [
    (
        "axe-core",
        "4.14.1",
        "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        ("package/axe.min.js", "package/LICENSE"),
    ),
]


def fetch(name: str, version: str, integrity: str, members: tuple[str, ...]) -> None:
    target = ASSETS / f"{name}-{version}"
    if all((target / Path(m).name).exists() for m in members):
        return
    url = f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:
        data = response.read()
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        sys.exit(f"test-assets: {url} does not match its integrity {integrity}")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in members:
            extracted = archive.extractfile(member)
            if extracted is None:
                sys.exit(f"test-assets: {member} is missing from {url}")
            (target / Path(member).name).write_bytes(extracted.read())
    print(f"test-assets: {name} {version} in {target}")


def main() -> None:
    for package in PACKAGES:
        fetch(*package)


if __name__ == "__main__":
    main()
