"""The README documents every setting and every command (a meta-test, as datasette has)."""

from __future__ import annotations

from pathlib import Path

from iatp_kg.cli import app
from iatp_kg.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    missing = [
        f"IATP_KG_{n.upper()}"
        for n in Settings.model_fields
        if f"IATP_KG_{n.upper()}" not in README
    ]
    assert not missing, missing


def test_every_command_is_documented():
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    missing = [n for n in names if f"iatp-kg {n}" not in README and f"| {n} DIR" not in README]
    assert not missing, missing


def test_readme_gives_the_two_commands():
    assert "scripts/serve" in README and "scripts/test" in README
