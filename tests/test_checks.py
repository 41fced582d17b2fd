"""`queries/checks/*-violation.rq` return zero rows on the published data, and each can fail:
a broken fixture `tests/checks/<check>.trig` makes it return rows. Adding a check adds tests."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from iatp_kg.store import Store

ROOT = Path(__file__).parents[1]
CHECKS = sorted((ROOT / "queries" / "checks").glob("*-violation.rq"))


def run_check(store: Store, check: Path) -> list[dict]:
    graphs = store.public_graphs()
    return store.select(
        check.read_text(encoding="utf-8"), default_graph=graphs, named_graphs=graphs
    )


def test_there_are_checks():
    assert len(CHECKS) >= 6


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_returns_no_rows_on_published_data(seeded_template, check):
    rows = run_check(Store.open(seeded_template, read_only=True), check)
    assert rows == [], f"{check.name} found: {rows[:10]}"


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_finds_its_defect_in_a_broken_fixture(seeded_dir, check):
    fixture = ROOT / "tests" / "checks" / f"{check.stem}.trig"
    assert fixture.exists(), f"add {fixture.relative_to(ROOT)} to show the check can fail"
    store = Store.open(seeded_dir)
    store.add_quads(ox.parse(fixture.read_bytes(), ox.RdfFormat.TRIG))
    assert run_check(store, check), f"{check.name} found nothing in {fixture.name}"


@pytest.mark.parametrize("check", CHECKS, ids=lambda p: p.stem)
def test_check_has_a_bilingual_header(check):
    head = check.read_text(encoding="utf-8").splitlines()[:2]
    assert head[0].startswith("# es: ") and head[1].startswith("# en: ")
