"""Shared fixtures: a seeded on-disk store made once per session and copied per test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iatp_kg.store import Store

BIN = Path(sys.executable).with_name("iatp-kg")


def iatp_kg(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the real ``iatp-kg`` command; output captured as text."""
    return subprocess.run(
        [str(BIN), *map(str, args)], capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """A store seeded with the bundled pipelines by the real command (then closed)."""
    path = tmp_path_factory.mktemp("seeded") / "store"
    result = iatp_kg("ingest", "--seed", "--store", path)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def seeded_dir(seeded_template, tmp_path) -> Path:
    """A private copy of the seeded store for one test."""
    target = tmp_path / "store"
    shutil.copytree(seeded_template, target)
    return target


def digest(path: Path) -> str:
    return Store.open(path, read_only=True).digest()
